"""After a full scenario, no secret or token is in any response, log line, admin page or metric.

The scenario goes through every part that handles a secret: configs created,
rotated and synced to GitHub (the simulator), signed and forged deliveries,
the features API reading and writing through the GitHub client (with GitHub
failing too), API tokens issued and used, the admin, /metrics and /readyz.
Then every route of the service is fetched as staff with real object ids.
Everything that came back, and every log record, is searched for each secret.
"""

import logging
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.conftest import post_delivery, sample_bytes
from tests.fakegithub.fixtures import FAKE_TOKEN

pytestmark = pytest.mark.django_db

CONFIG_SECRET = "config-secret-1-aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
ROTATED_SECRET = "config-secret-2-bbbbbbbbbbbbbbbbbbbbbbbbbbbb"
GLOBAL_SECRET = "global-secret-cccccccccccccccccccccccccccc"
METRICS_TOKEN = "metrics-token-dddddddddddddddddddddddddd"
PASSWORD = "staff-password-eeeeeeeeeeeeeeeeeeeeee"
SECRET_KEY = "django-secret-key-ffffffffffffffffffffffffffffffff"


class Recorder:
    """Everything the service said: bodies, headers, cookies aside (they are sessions)."""

    def __init__(self):
        self.outputs = []

    def record(self, label, response):
        headers = "\n".join(f"{name}: {value}" for name, value in response.items())
        content = b"".join(response.streaming_content) if response.streaming else response.content
        self.outputs.append((label, headers + "\n\n" + content.decode("utf-8", "replace")))
        return response


def log_text(record):
    parts = [record.getMessage(), str(record.exc_text or ""), str(getattr(record, "stack_info", "") or "")]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    # Every structured field (extra=...) goes to the JSON log too.
    parts.extend(f"{key}={value!r}" for key, value in vars(record).items() if key not in ("msg", "args", "exc_info"))
    return "\n".join(parts)


def route_paths(ids):
    """Every route, with the scenario's real ids in place of the parameters."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    paths = set()
    for route in walk(get_resolver().url_patterns, ""):
        for value in ids.get(_model_of(route), ["1"]):
            path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m, value=value: _value(m.group(1), value), route)
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, value=value: _value(m.group(1), value), path)
            paths.add("/" + path.replace("^", "").replace("$", "").replace("/?", ""))
    return sorted(paths)


def _model_of(route):
    for name in (
        "webhookconfig",
        "configs",
        "webhookevent",
        "events",
        "apitoken",
        "repository",
        "repositories",
        "auth/user",
        "pullrequest",
        "issue",
        "push",
        "label",
        "githubratelimit",
    ):
        if name in route:
            return name
    return None


def _value(name, value):
    return {"owner": "octocat", "repo": "hello-world", "name": "bug", "app_label": "webhooks", "url": "x/"}.get(
        name, str(value)
    )


def test_no_secret_or_token_leaks_anywhere(settings, fake_github, django_user_model, caplog, client):
    from accounts.models import ApiToken
    from ratelimits.models import GitHubRateLimit
    from repositories.models import Issue, PullRequest, Push, Repository
    from webhooks.models import WebhookConfig, WebhookEvent

    caplog.set_level(logging.DEBUG)
    settings.SECRET_KEY = SECRET_KEY
    settings.GITHUB_CACHE_TTL_ISSUES = 0  # issues expire at once: GitHub failing then serves them stale
    settings.GITHUB_WEBHOOK_SECRET = GLOBAL_SECRET
    settings.METRICS_TOKEN = METRICS_TOKEN
    recorder = Recorder()

    staff = django_user_model.objects.create_superuser("boss", password=PASSWORD)
    _, staff_key = ApiToken.objects.issue(staff, name="scenario")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_key}")
    api.raise_request_exception = False
    admin = APIClient()
    admin.raise_request_exception = False
    response = admin.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert response.status_code == 302
    recorder.record("admin login", response)

    def call(method, path, data=None, **kwargs):
        response = (
            api.generic(method, path, data, content_type="application/json", **kwargs)
            if data
            else api.generic(method, path, **kwargs)
        )
        return recorder.record(f"{method} {path}", response)

    # Configs: created with a secret, rotated, synced to GitHub, pinged.
    import json

    created = call(
        "POST",
        "/api/v1/webhooks/configs",
        json.dumps(
            {
                "repository": "octocat/hello-world",
                "url": "https://hooks.example.test/api/v1/webhooks/github",
                "secret": CONFIG_SECRET,
            }
        ),
    )
    assert created.status_code == 201, created.content
    config_id = created.json()["id"]
    assert (
        call("PATCH", f"/api/v1/webhooks/configs/{config_id}", json.dumps({"secret": ROTATED_SECRET})).status_code
        == 200
    )
    assert call("POST", f"/api/v1/webhooks/configs/{config_id}/sync").status_code in (200, 201)
    assert call("POST", f"/api/v1/webhooks/configs/{config_id}/sync").status_code in (200, 201)
    call("POST", f"/api/v1/webhooks/configs/{config_id}/ping")
    WebhookConfig.objects.create(
        repository="Codertocat/Hello-World", url="https://x.example.test/h", secret=CONFIG_SECRET
    )

    # Deliveries: signed with each secret, forged, duplicated, malformed.
    for secret in (CONFIG_SECRET, GLOBAL_SECRET, ROTATED_SECRET, "wrong-secret"):
        for sample, event in [
            ("issues/opened.payload.json", "issues"),
            ("pull_request/opened.payload.json", "pull_request"),
            ("push/payload.json", "push"),
            ("star/created.payload.json", "star"),
        ]:
            recorder.record(f"deliver {event}", post_delivery(client, event, sample_bytes(sample), secret=secret))
    recorder.record("deliver bad json", post_delivery(client, "issues", b"{nope", secret=GLOBAL_SECRET))
    from webhooks import processing

    for pending in WebhookEvent.objects.filter(status="pending"):
        processing.process_event(pending.pk)  # on_commit does not fire inside the test's transaction
    event = WebhookEvent.objects.first()
    call("POST", f"/api/v1/webhooks/events/{event.pk}/reprocess")

    # The features API through the client: reads (miss, hit), writes, GitHub failing, rate limits.
    for path in ("info", "pulls", "issues", "labels", "workflows", "pulls", "info"):
        call("GET", f"/api/v1/github/octocat/hello-world/{path}")
    call("POST", "/api/v1/github/octocat/hello-world/labels", json.dumps({"name": "leak-check", "color": "ff0000"}))
    call("PATCH", "/api/v1/github/octocat/hello-world/settings", json.dumps({"has_wiki": False}))
    call("POST", "/api/v1/github/octocat/hello-world/cache/invalidate")
    call("GET", "/api/v1/github/octocat/hello-world/issues")
    fake_github.fail_next(10, status=502)
    call("GET", "/api/v1/github/octocat/hello-world/issues")
    call("GET", "/api/v1/github/octocat/hello-world/workflows?page=2")
    fake_github.secondary_limit_next(1, retry_after=3600)
    call("GET", "/api/v1/github/octocat/hello-world/labels?page=3")
    fake_github.set_rate_limit(remaining=0, reset_in=3600)
    call("GET", "/api/v1/github/octocat/hello-world/pulls?state=closed")
    call("POST", "/api/v1/rate-limits/track")
    settings.GITHUB_TOKEN = "ghp_wrongTokenForTheSimulator000000000000"
    call("GET", "/api/v1/github/octocat/hello-world/info?x=1")
    settings.GITHUB_TOKEN = FAKE_TOKEN

    # Failed authentication attempts echo nothing back.
    for value in (f"Token {staff_key}x", f"Bearer {staff_key[:-1]}", f"Token {CONFIG_SECRET}"):
        recorder.record("bad token", APIClient().get("/api/v1/webhooks/events", HTTP_AUTHORIZATION=value))

    # Every route as staff, with real ids; the admin's pages with its session.
    ids = {
        "webhookconfig": list(WebhookConfig.objects.values_list("pk", flat=True)),
        "configs": list(WebhookConfig.objects.values_list("pk", flat=True)),
        "webhookevent": list(WebhookEvent.objects.values_list("pk", flat=True)[:5]),
        "events": list(WebhookEvent.objects.values_list("pk", flat=True)[:5]),
        "apitoken": list(ApiToken.objects.values_list("pk", flat=True)),
        "auth/user": [staff.pk],
        "repository": list(Repository.objects.values_list("pk", flat=True)),
        "repositories": list(Repository.objects.values_list("pk", flat=True)),
        "pullrequest": list(PullRequest.objects.values_list("pk", flat=True)),
        "issue": list(Issue.objects.values_list("pk", flat=True)),
        "push": list(Push.objects.values_list("pk", flat=True)),
        "githubratelimit": list(GitHubRateLimit.objects.values_list("pk", flat=True)[:3]),
    }
    assert ids["webhookevent"] and ids["repository"] and ids["pullrequest"]
    for path in route_paths(ids):
        if path.startswith("/admin/"):
            if not path.endswith("/delete/"):
                recorder.record(f"GET {path}", admin.get(path))
        else:
            call("GET", path)
    metrics = recorder.record("metrics", client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}))
    assert metrics.status_code == 200
    recorder.record("readyz", client.get("/readyz"))

    logs = [log_text(record) for record in caplog.records]
    # The scenario reached what it meant to: hooks on GitHub, stored events, GitHub failing, 401s.
    assert len(recorder.outputs) > 150 and len(logs) > 20
    assert WebhookConfig.objects.get(pk=config_id).hook_id is not None
    everything = "\n".join(text for _, text in recorder.outputs)
    for seen in ("X-Cache: HIT", "X-Cache: STALE", "Retry-After", '"status":"queued"', "Invalid token"):
        assert seen in everything, seen
    secrets = {
        "config secret": CONFIG_SECRET,
        "rotated config secret": ROTATED_SECRET,
        "global webhook secret": GLOBAL_SECRET,
        "GitHub token": FAKE_TOKEN,
        "API token": staff_key,
        "metrics token": METRICS_TOKEN,
        "password": PASSWORD,
        "SECRET_KEY": SECRET_KEY,
    }
    leaks = [
        f"{name} in {label}"
        for name, secret in secrets.items()
        for label, text in recorder.outputs
        + [(f"log {record.name}", line) for record, line in zip(caplog.records, logs, strict=False)]
        if secret in text
    ]
    assert not leaks, "\n".join(sorted(set(leaks)))
