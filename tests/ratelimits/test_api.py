"""The rate-limit API and admin, with GitHub simulated over real HTTP."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from github.client import get_client
from ratelimits import services
from ratelimits.models import GitHubRateLimit
from tests.fakegithub.fixtures import FAKE_TOKEN

BASE = "/api/v1/rate-limits"
TOKEN_HASH = hashlib.sha256(FAKE_TOKEN.encode()).hexdigest()


def test_status_refreshes_from_rate_limit_endpoint_then_uses_the_latest_state(staff_client, fake_github):
    first = staff_client.get(f"{BASE}/status")
    second = staff_client.get(f"{BASE}/status/")

    assert first.status_code == 200
    core = first.json()["resources"]["core"]
    assert set(core) >= {"limit", "remaining", "used", "reset", "observed_at"}
    assert (core["limit"], core["remaining"], core["used"]) == (5000, 5000, 0)
    assert first.json()["refreshed"] is True
    assert second.json()["refreshed"] is False
    assert len(fake_github.requests_to("/rate_limit")) == 1
    # GET /rate_limit costs nothing.
    assert fake_github.stats()["counted"] == 0


def test_status_reflects_headers_of_normal_calls(staff_client, fake_github):
    get_client().get("/repos/{owner}/{repo}", owner="octocat", repo="hello-world")
    body = staff_client.get(f"{BASE}/status").json()
    assert body["refreshed"] is False
    assert body["resources"]["core"]["remaining"] == 4999


def test_status_when_github_is_down_and_nothing_is_known(staff_client, fake_github):
    fake_github.stop()
    response = staff_client.get(f"{BASE}/status")
    assert response.status_code == 502
    assert "detail" in response.json()


def test_status_and_history_say_whose_limits_they_are(staff_client, fake_github):
    assert staff_client.get(f"{BASE}/status").json()["credential"] == "token"
    assert staff_client.get(f"{BASE}/health").json()["credential"] == "token"
    rows = staff_client.get(f"{BASE}/history", {"credential": "token"}).json()["results"]
    assert rows and {row["credential"] for row in rows} == {"token"}
    assert staff_client.get(f"{BASE}/history", {"credential": "app"}).json()["results"] == []


def test_track_stores_a_row_per_resource(staff_client, fake_github):
    response = staff_client.post(f"{BASE}/track")

    assert response.status_code == 201
    rows = response.json()
    assert {row["resource"] for row in rows} >= {"core", "search", "graphql"}
    assert all(row["source"] == "rate_limit_endpoint" for row in rows)
    assert GitHubRateLimit.objects.count() == len(rows)
    assert set(GitHubRateLimit.objects.values_list("token_hash", flat=True)) == {TOKEN_HASH}
    assert FAKE_TOKEN not in response.content.decode()


def test_track_maps_a_rate_limited_github_to_429(staff_client, fake_github):
    fake_github.secondary_limit_next(1, retry_after=120, path="/rate_limit")
    response = staff_client.post(f"{BASE}/track")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 60


@pytest.mark.parametrize(
    "github_status, ours",
    [(401, 502), (403, 403), (404, 404), (422, 422), (418, 400), (500, 502)],
)
def test_github_errors_are_answered_as_under_every_other_path(staff_client, fake_github, github_status, ours):
    """One mapping (api.exceptions): the same GitHub answer gives the same status here as under /github/."""
    fake_github.fail_next(10, status=github_status, path="/rate_limit")
    response = staff_client.post(f"{BASE}/track")
    assert response.status_code == ours
    body = response.json()
    assert body["github_status"] == github_status and body["detail"]


@pytest.mark.parametrize(
    "remaining, expected_status, http_status",
    [(4000, "healthy", 200), (100, "degraded", 200), (0, "exhausted", 503)],
)
def test_health(staff_client, fake_github, settings, remaining, expected_status, http_status):
    settings.GITHUB_RATE_LIMIT_HEALTH_THRESHOLD = 0.1
    fake_github.set_rate_limit(remaining=remaining, reset_in=600)

    response = staff_client.get(f"{BASE}/health")

    assert response.status_code == http_status
    body = response.json()
    assert body["status"] == expected_status
    assert body["threshold"] == 0.1
    assert body["resources"]["core"]["remaining_ratio"] == pytest.approx(remaining / 5000, abs=1e-4)
    assert body["resources"]["core"]["status"] == expected_status


def test_health_without_any_state_is_degraded_not_an_error(staff_client, fake_github):
    fake_github.stop()
    response = staff_client.get(f"{BASE}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"


def test_history_filters_by_resource_and_time(staff_client, db):
    now = timezone.now()
    for resource, minutes_ago in [("core", 90), ("core", 10), ("search", 10)]:
        GitHubRateLimit.objects.create(
            token_hash=TOKEN_HASH,
            resource=resource,
            limit=5000,
            remaining=4000,
            used=1000,
            reset_at=now + timedelta(minutes=30),
            observed_at=now - timedelta(minutes=minutes_ago),
        )
    since = (now - timedelta(minutes=30)).isoformat()

    everything = staff_client.get(f"{BASE}/history").json()
    recent_core = staff_client.get(f"{BASE}/history", {"resource": "core", "observed_after": since}).json()

    assert everything["count"] == 3
    assert recent_core["count"] == 1
    assert recent_core["results"][0]["resource"] == "core"


def test_history_rows_are_written_at_most_every_interval(fake_github, settings):
    settings.GITHUB_RATE_LIMIT_HISTORY_INTERVAL = 300
    client = get_client()
    for _ in range(5):
        client.get("/repos/{owner}/{repo}", owner="octocat", repo="hello-world")
    assert GitHubRateLimit.objects.filter(resource="core").count() == 1


def test_history_fallback_to_database_when_the_cache_is_empty(fake_github, staff_client):
    from django.core.cache import cache

    services.track_now()
    cache.clear()
    get_client().rate_limits.reset()
    from ratelimits import selectors

    assert selectors.latest_states(get_client().rate_limits, get_client().credential_key)["core"].limit == 5000


@pytest.mark.parametrize("path", ["status", "health", "history"])
def test_staff_only(plain_user_client, client, path, db):
    assert plain_user_client.get(f"{BASE}/{path}").status_code == 403
    assert client.get(f"{BASE}/{path}").status_code in (401, 403)
    assert plain_user_client.post(f"{BASE}/track").status_code == 403


def test_admin_is_a_read_only_list(admin_client, db):
    GitHubRateLimit.objects.create(
        token_hash=TOKEN_HASH, resource="core", limit=5000, remaining=1, used=4999, reset_at=timezone.now()
    )
    changelist = admin_client.get("/admin/ratelimits/githubratelimit/?resource=core")
    assert changelist.status_code == 200
    assert b"core" in changelist.content
    assert admin_client.get("/admin/ratelimits/githubratelimit/add/").status_code == 403
