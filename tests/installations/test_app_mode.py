"""The service as a GitHub App, against the simulator over real HTTP: the key, GitHub's clock,
installation tokens per repository, installation events, and no token anywhere it should not be."""

import logging
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from github.client import get_client
from installations.models import Installation
from tests.conftest import post_delivery, requires_postgres
from tests.installations.conftest import APP_HOOK, APP_ID, installation_event

INFO = "/api/v1/github/octocat/hello-world/info"


def check_app():
    out = StringIO()
    call_command("github_app_check", stdout=out)
    return out.getvalue()


def test_github_app_check_verifies_the_key_and_lists_the_installations(github_app):
    output = check_app()
    assert f"(id {APP_ID}" in output and "key verified" in output
    assert f"installation {github_app.installation_id}: octocat (User), repositories: selected" in output


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"GITHUB_APP_ID": "999"}, "GitHub refused the App's JWT"),
        ("other key", "GitHub refused the App's JWT"),
        ({"GITHUB_APP_PRIVATE_KEY": "not a key"}, "not a readable PEM private key"),
    ],
)
def test_github_app_check_names_the_cause_and_never_the_key(github_app, settings, app_keys, change, expected):
    (private_pem, _), (other_pem, _) = app_keys
    if change == "other key":
        settings.GITHUB_APP_PRIVATE_KEY = other_pem
    else:
        for name, value in change.items():
            setattr(settings, name, value)
    with pytest.raises(CommandError) as raised:
        call_command("github_app_check", skip_checks=True)
    assert expected in str(raised.value)
    for pem in (private_pem, other_pem):
        assert pem.splitlines()[1] not in str(raised.value)


def test_github_app_check_with_github_unreachable(github_app):
    github_app.stop()
    with pytest.raises(CommandError, match="could not be reached"):
        call_command("github_app_check")


def test_a_clock_behind_githubs_is_corrected_from_its_date_header_once(github_app):
    github_app.clock_skew = -300  # GitHub's clock 5 minutes behind ours: our iat is "in the future"
    assert "key verified" in check_app()
    answers = [request.status for request in github_app.jwt_requests("/app")]
    assert answers == [401, 200]
    check_app()  # the next run (another process) starts from the offset learnt, kept in the shared cache
    assert [request.status for request in github_app.jwt_requests("/app")][2:] == [200]


def test_a_call_about_a_repository_goes_as_its_installation_with_one_token(github_app, staff_client):
    assert staff_client.get(INFO).status_code == 200
    assert staff_client.get("/api/v1/github/octocat/hello-world/labels").status_code == 200
    assert github_app.token_requests(github_app.installation_id) == 1
    reads = github_app.installation_requests(github_app.installation_id)
    assert {request.path for request in reads} >= {"/repos/octocat/hello-world", "/repos/octocat/hello-world/labels"}
    # Asked once which installation covers it, then remembered (a row, for every process).
    assert len(github_app.jwt_requests("/repos/octocat/hello-world/installation")) == 1
    assert Installation.objects.get(id=github_app.installation_id).repositories.get().full_name == "octocat/hello-world"


def test_a_repository_the_app_is_not_installed_on_is_a_clear_404_or_goes_with_github_token(
    github_app, staff_client, settings
):
    github_app.add_repo("octocat", "elsewhere")
    response = staff_client.get("/api/v1/github/octocat/elsewhere/info")
    assert response.status_code == 404
    assert response.json()["detail"] == "The GitHub App is not installed on octocat/elsewhere."
    staff_client.get("/api/v1/github/octocat/elsewhere/labels")
    assert len(github_app.jwt_requests("/repos/octocat/elsewhere/installation")) == 1  # "not installed" remembered
    settings.GITHUB_TOKEN = "ghp_fakeTokenForTheSimulator0123456789ABCD"
    assert staff_client.get("/api/v1/github/octocat/elsewhere/info").status_code == 200


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """Post an installation event and let it be processed (its transaction's on-commit work included)."""

    def post(action, installation_id, **headers):
        headers = headers or APP_HOOK
        with django_capture_on_commit_callbacks(execute=True):
            response = post_delivery(client, "installation", installation_event(action, installation_id), **headers)
        assert response.status_code == 202, response.content
        return response

    return post


def test_installation_events_suspend_and_delete_at_once(github_app, deliver, staff_client):
    installation_id = github_app.installation_id
    deliver("created", installation_id)
    assert staff_client.get(INFO).status_code == 200

    deliver("suspend", installation_id)
    response = staff_client.get("/api/v1/github/octocat/hello-world/labels")
    assert response.status_code == 403 and "suspended" in response.json()["detail"]

    deliver("unsuspend", installation_id)
    assert staff_client.get("/api/v1/github/octocat/hello-world/labels").status_code == 200

    deliver("deleted", installation_id)
    assert Installation.objects.get(id=installation_id).deleted
    # Redelivered out of order: a deleted installation stays deleted.
    deliver("created", installation_id)
    assert Installation.objects.get(id=installation_id).deleted


def test_a_reinstall_replaces_the_old_installation(github_app, deliver, staff_client):
    old = github_app.installation_id
    deliver("created", old)
    new = github_app.reinstall("octocat")
    deliver("created", new)
    assert Installation.objects.get(id=old).deleted and not Installation.objects.get(id=new).deleted
    assert staff_client.get("/api/v1/github/octocat/hello-world/pulls").status_code == 200
    assert github_app.token_requests(new) == 1 and github_app.token_requests(old) == 0


@requires_postgres  # eight threads writing at once: SQLite's shared in-memory test database locks its tables
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_calls_cost_one_token_request(github_app):
    barrier = threading.Barrier(8)
    statuses = []

    def first_call():
        try:
            barrier.wait()
            statuses.append(get_client().get("/repos/{owner}/{repo}", owner="octocat", repo="hello-world").status)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [200] * 8
    assert github_app.token_requests(github_app.installation_id) == 1


def test_no_token_or_key_in_answers_logs_or_metrics(github_app, staff_client, caplog, app_keys):
    (private_pem, _), _ = app_keys
    with caplog.at_level(logging.DEBUG):
        answers = [staff_client.get(INFO).content.decode(), staff_client.get("/metrics").content.decode()]
        check_app()
    text = "\n".join(answers + [record.getMessage() for record in caplog.records])
    assert "ghs_" not in text
    assert private_pem.splitlines()[1] not in text


def test_one_installations_exhausted_budget_does_not_hold_back_another(github_app, staff_client, settings):
    settings.GITHUB_MAX_RATE_LIMIT_WAIT = 0  # refuse at once instead of sleeping to the reset
    github_app.add_repo("octo-org", "tools")
    other = github_app.add_installation("octo-org", repositories=[("octo-org", "tools")])
    github_app.set_rate_limit(remaining=0, reset_in=3600, installation=github_app.installation_id)
    assert staff_client.get(INFO).status_code == 429
    assert staff_client.get("/api/v1/github/octo-org/tools/info").status_code == 200
    assert github_app.installation_requests(other)


def test_a_misconfigured_app_key_is_a_502_naming_the_cause(github_app, staff_client, settings):
    settings.GITHUB_APP_PRIVATE_KEY = "not a key"
    response = staff_client.get(INFO)
    assert response.status_code == 502
    assert "not a readable PEM private key" in response.json()["detail"]


def test_installations_are_listed_for_staff_with_token_expiry_and_budget_never_the_token(github_app, staff_client):
    assert staff_client.get(INFO).status_code == 200  # takes a token, spends some of the budget
    response = staff_client.get("/api/v1/github/installations")
    assert response.status_code == 200
    [installation] = response.json()["results"]
    assert installation["id"] == github_app.installation_id
    assert installation["account_login"] == "octocat" and installation["repositories"] == ["octocat/hello-world"]
    assert installation["token_expires_at"] and installation["rate_limit_remaining"] is not None
    assert "ghs_" not in response.content.decode()


def test_rate_limit_records_carry_the_credential_never_the_token(github_app, staff_client):
    assert staff_client.get(INFO).status_code == 200
    history = staff_client.get(
        "/api/v1/rate-limits/history", {"credential": f"installation:{github_app.installation_id}"}
    )
    assert history.status_code == 200
    rows = history.json()["results"]
    assert rows and {row["credential"] for row in rows} == {f"installation:{github_app.installation_id}"}
    assert staff_client.get("/api/v1/rate-limits/history", {"credential": "token"}).json()["results"] == []
    assert "ghs_" not in history.content.decode()


def test_a_replayed_old_created_event_does_not_remove_the_reinstalled_installation(github_app, deliver):
    old = github_app.installation_id
    deliver("created", old)
    new = github_app.reinstall("octocat")
    deliver("created", new)
    deliver("created", old)  # redelivered or reprocessed late
    assert not Installation.objects.get(id=new).deleted
    assert Installation.objects.get(id=new).repositories.exists()


def test_a_late_installation_repositories_event_does_not_move_the_mapping(
    github_app, client, django_capture_on_commit_callbacks
):
    installation_id = github_app.installation_id

    def repositories_event(action, updated_at):
        payload = installation_event("created", installation_id)
        payload["installation"]["updated_at"] = updated_at
        repositories = [{"id": 9, "name": "tools", "full_name": "octocat/tools", "private": False}]
        payload.update(action=action, repositories_added=repositories if action == "added" else [])
        payload["repositories_removed"] = repositories if action == "removed" else []
        with django_capture_on_commit_callbacks(execute=True):
            assert post_delivery(client, "installation_repositories", payload, **APP_HOOK).status_code == 202

    repositories_event("added", 3_000_000_000)
    repositories_event("removed", 3_000_000_100)
    repositories_event("added", 3_000_000_000)  # the first one, redelivered
    assert not Installation.objects.get(id=installation_id).repositories.filter(full_name="octocat/tools").exists()


def test_installation_events_from_another_hook_are_not_trusted(github_app, deliver):
    deliver("created", github_app.installation_id, **{"X-GitHub-Hook-Installation-Target-Type": "repository"})
    assert not Installation.objects.filter(id=github_app.installation_id).exists()
    deliver("created", github_app.installation_id)
    assert Installation.objects.filter(id=github_app.installation_id, deleted=False).exists()


def test_status_and_health_are_per_credential_and_exhausted_only_for_the_one_that_is(
    github_app, staff_client, settings
):
    settings.GITHUB_RATE_LIMIT_STATUS_MAX_AGE = 0  # every answer asks GitHub (GET /rate_limit, per installation)
    github_app.add_repo("octo-org", "tools")
    other = github_app.add_installation("octo-org", repositories=[("octo-org", "tools")])
    # Both installations become known to the service by a call about one of their repositories.
    assert staff_client.get(INFO).status_code == 200
    assert staff_client.get("/api/v1/github/octo-org/tools/info").status_code == 200
    exhausted, healthy = f"installation:{github_app.installation_id}", f"installation:{other}"
    github_app.set_rate_limit(remaining=0, reset_in=3600, installation=github_app.installation_id)
    github_app.set_rate_limit(remaining=4000, limit=5000, installation=other)

    health = staff_client.get("/api/v1/rate-limits/health", {"credential": exhausted})
    assert health.status_code == 503
    assert health.json()["credential"] == exhausted and health.json()["resources"]["core"]["remaining"] == 0
    health = staff_client.get("/api/v1/rate-limits/health", {"credential": healthy})
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    status = staff_client.get("/api/v1/rate-limits/status", {"credential": healthy}).json()
    assert status["credential"] == healthy and status["resources"]["core"]["remaining"] == 4000
    # Without ?credential= it is the service's own credential: the App, whose limit no installation spends.
    default = staff_client.get("/api/v1/rate-limits/health")
    assert default.status_code == 200 and default.json()["credential"] == "app"
    assert "ghs_" not in health.content.decode() + default.content.decode()
    # Metrics name the credential's kind, never which installation: the series stay bounded.
    metrics = staff_client.get("/metrics").content.decode()
    assert 'github_api_rate_limit_remaining{credential_kind="installation",resource="core"}' in metrics
    assert f"installation:{other}" not in metrics and f'"{other}"' not in metrics


@pytest.mark.parametrize(
    ("credential", "status", "detail"),
    [
        ("installation:999", 404, "This service has no GitHub credential installation:999."),
        ("token", 404, "This service has no GitHub credential token."),  # App only, no GITHUB_TOKEN
        ("installation:x", 400, "credential: Give token, app or installation:<id>."),
        ("ghs_secret", 400, "credential: Give token, app or installation:<id>."),
    ],
)
def test_a_credential_the_service_has_not_is_a_clear_error(github_app, staff_client, credential, status, detail):
    for path in ("status", "health"):
        response = staff_client.get(f"/api/v1/rate-limits/{path}", {"credential": credential})
        assert (response.status_code, response.json()["detail"]) == (status, detail)


def test_the_app_itself_is_not_tracked_with_get_rate_limit(github_app, staff_client):
    response = staff_client.post("/api/v1/rate-limits/track?credential=app")
    assert response.status_code == 400 and "installation:<id>" in response.json()["detail"]
    assert not github_app.requests_to("/rate_limit")


def test_the_periodic_snapshot_covers_every_installation(github_app, staff_client):
    from ratelimits.models import GitHubRateLimit
    from ratelimits.tasks import track_rate_limits

    github_app.add_repo("octo-org", "tools")
    other = github_app.add_installation("octo-org", repositories=[("octo-org", "tools")])
    assert staff_client.get(INFO).status_code == 200
    assert staff_client.get("/api/v1/github/octo-org/tools/info").status_code == 200
    GitHubRateLimit.objects.all().delete()

    assert track_rate_limits() > 0
    snapshots = GitHubRateLimit.objects.filter(source=GitHubRateLimit.Source.RATE_LIMIT_ENDPOINT)
    tracked = set(snapshots.values_list("token_hash", flat=True))
    assert tracked == {f"installation:{github_app.installation_id}", f"installation:{other}"}


def test_hooks_sync_ping_and_redelivery_go_as_the_repositorys_installation(github_app, staff_client):
    from webhooks import hooks
    from webhooks.models import WebhookConfig

    config = WebhookConfig.objects.create(
        repository="octocat/hello-world",
        url="https://hooks.example.test/api/v1/webhooks/github",
        secret="hook-secret-0123456789",
        events=["issues"],
    )
    configs = "/api/v1/webhooks/configs"
    assert staff_client.post(f"{configs}/{config.pk}/sync").status_code == 201
    config.refresh_from_db()
    assert staff_client.post(f"{configs}/{config.pk}/ping").status_code == 202
    seeded = github_app.seed_delivery("octocat", "hello-world", config.hook_id, status_code=500)
    assert hooks.redeliver_failed(config, since=timezone.now() - timedelta(hours=1)).redelivered == 1

    calls = [r for r in github_app.requests if r.path.startswith("/repos/octocat/hello-world/hooks")]
    assert {r.method for r in calls} == {"POST", "GET"} and len(calls) >= 4
    assert {(r.credential, r.installation_id) for r in calls} == {("installation", github_app.installation_id)}
    assert github_app.token_requests(github_app.installation_id) == 1
    assert seeded["guid"]
