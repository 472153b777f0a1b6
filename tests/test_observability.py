"""Metrics, health and API documentation, through HTTP."""

import json
import logging
import re

import pytest
from django.db import connection

from tests.conftest import TEST_SECRET, post_delivery, requires_postgres, requires_redis, sample_bytes
from webhooks import processing
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

SAMPLE_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def scrape(client, **headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def value(text, name, **labels):
    """The sample's value in an exposition, 0.0 when the series is absent."""
    wanted = {key: str(val) for key, val in labels.items()}
    for line in text.splitlines():
        match = SAMPLE_LINE.match(line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(key) == val for key, val in wanted.items()):
            return float(match.group(3))
    return 0.0


def increase(before, after, name, **labels):
    """How much a sample grew between two expositions."""
    return value(after, name, **labels) - value(before, name, **labels)


def test_every_family_is_exported_from_the_first_scrape(client):
    text = scrape(client)
    for family in [
        "github_api_requests_total",
        "github_api_request_duration_seconds",
        "github_api_rate_limit_remaining",
        "github_api_rate_limit_limit",
        "github_api_errors_total",
        "webhook_events_received_total",
        "webhook_events_processed_total",
        "webhook_events_failed_total",
        "webhook_processing_duration_seconds",
        "webhook_deliveries_rejected_total",
        "webhook_events_duplicate_total",
        "webhook_events_pending",
        "cache_hits_total",
        "cache_misses_total",
        "repository_sync_total",
        "repository_sync_duration_seconds",
        "django_http_requests_before_middlewares_total",
    ]:
        assert f"# TYPE {family} " in text, family
    # Known label sets start at zero rather than missing.
    assert 'webhook_events_received_total{event="pull_request",status="queued"}' in text
    assert 'webhook_deliveries_rejected_total{reason="bad_signature"}' in text
    assert 'repository_sync_total{event="issues",result="applied"}' in text


def test_webhook_metrics_move_with_deliveries_and_processing(client, settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    before = scrape(client)

    queued = post_delivery(client, "pull_request", sample_bytes("pull_request/opened.payload.json"))
    assert (queued.status_code, queued.json()["status"]) == (202, "queued"), queued.content
    duplicate = post_delivery(
        client,
        "pull_request",
        sample_bytes("pull_request/opened.payload.json"),
        delivery_id=queued.json()["delivery_id"],
    )
    assert (duplicate.status_code, duplicate.json()["status"]) == (200, "duplicate"), duplicate.content
    forged = post_delivery(
        client, "pull_request", sample_bytes("pull_request/opened.payload.json"), secret="wrong-secret"
    )
    assert forged.status_code == 401, forged.content
    unsupported = post_delivery(client, "issues", b"{}", content_type="text/plain")
    assert unsupported.status_code == 415, unsupported.content
    stored = WebhookEvent.objects.get()
    assert (stored.delivery_id, stored.status) == (queued.json()["delivery_id"], "pending")
    mid = scrape(client)
    assert value(mid, "webhook_events_pending") == 1
    processing.process_event(stored.pk)
    assert WebhookEvent.objects.get().status == "processed"
    after = scrape(client)

    def delta(name, text=after, **labels):
        return value(text, name, **labels) - value(before, name, **labels)

    assert delta("webhook_events_received_total", event="pull_request", status="queued") == 1
    assert delta("webhook_events_received_total", event="pull_request", status="duplicate") == 1
    assert delta("webhook_events_duplicate_total", event="pull_request") == 1
    assert delta("webhook_deliveries_rejected_total", reason="bad_signature") == 1
    assert delta("webhook_deliveries_rejected_total", reason="unsupported_media_type") == 1
    assert delta("webhook_events_processed_total", event="pull_request", action="opened") == 1
    assert delta("repository_sync_total", event="pull_request", result="applied") == 1
    assert delta("webhook_processing_duration_seconds_count", event="pull_request") == 1
    assert value(after, "webhook_events_pending") == 0


def test_unknown_event_names_do_not_become_labels(client, settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    before = scrape(client)
    response = post_delivery(client, "made_up_event_name", sample_bytes("star/created.payload.json"))
    assert (response.status_code, response.json()["status"]) == (202, "queued"), response.content
    assert WebhookEvent.objects.filter(delivery_id=response.json()["delivery_id"], event="made_up_event_name").exists()
    text = scrape(client)
    assert "made_up_event_name" not in text
    assert increase(before, text, "webhook_events_received_total", event="other", status="queued") == 1


def test_metrics_never_carry_secrets_delivery_ids_or_repositories(client, settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    before = scrape(client)
    response = post_delivery(
        client, "issues", sample_bytes("issues/opened.payload.json"), delivery_id="delivery-id-not-a-label"
    )
    assert (response.status_code, response.json()["status"]) == (202, "queued"), response.content
    assert WebhookEvent.objects.filter(delivery_id="delivery-id-not-a-label").exists()
    text = scrape(client)
    assert increase(before, text, "webhook_events_received_total", event="issues", status="queued") == 1
    for needle in (TEST_SECRET, "delivery-id-not-a-label", "Codertocat", "Hello-World"):
        assert needle not in text


def test_metrics_token_protects_the_scrape(client, settings):
    settings.METRICS_TOKEN = "scrape-token-123"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert "webhook_events_received_total" in scrape(client, Authorization="Bearer scrape-token-123")


def test_healthz_touches_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "cache", "broker"}


@pytest.fixture
def unreachable_database():
    """Point the default connection at a closed port for one request."""
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)


@requires_postgres  # an in-memory SQLite test database cannot be made unreachable
@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_is_unreachable(client, unreachable_database):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"].startswith("error")
    assert "database" in body["detail"]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_receiver_is_503_json_when_the_database_is_unreachable(client, settings, unreachable_database):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    assert response.status_code == 503
    assert response.json() == {"detail": "Storage is unavailable; the delivery was not stored."}


@requires_redis
def test_readyz_is_503_when_redis_is_unreachable(client, settings):
    caches = {**settings.CACHES}
    caches["default"] = {**caches["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    settings.CACHES = caches
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("error")


def test_request_id_is_echoed_and_logged(client, caplog, settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    caplog.set_level(logging.INFO)
    response = post_delivery(
        client, "issues", sample_bytes("issues/opened.payload.json"), **{"X-Request-ID": "req-123"}
    )
    assert response["X-Request-ID"] == "req-123"
    stored = [r for r in caplog.records if r.getMessage() == "webhook delivery stored"]
    assert stored and stored[0].request_id == "req-123"
    assert stored[0].delivery_id == response.json()["delivery_id"] and stored[0].event == "issues"
    assert len(client.get("/healthz")["X-Request-ID"]) == 32


def test_json_log_format_carries_request_and_delivery_ids(settings):
    from pythonjsonlogger.json import JsonFormatter

    from config.observability import RequestIdFilter, request_id_var

    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s")
    record = logging.LogRecord("webhooks", logging.INFO, __file__, 1, "webhook delivery stored", None, None)
    record.delivery_id, record.event = "d-1", "push"
    token = request_id_var.set("r-1")
    RequestIdFilter().filter(record)
    request_id_var.reset(token)
    line = json.loads(formatter.format(record))
    assert (line["request_id"], line["delivery_id"], line["event"]) == ("r-1", "d-1", "push")


def test_openapi_schema_is_valid_and_documents_every_endpoint(staff_client):
    client = staff_client
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    receiver = paths["/api/v1/webhooks/github"]["post"]
    assert {p["name"] for p in receiver["parameters"]} >= {"X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"}
    assert {"202", "400", "401", "413", "415"} <= set(receiver["responses"])
    for path in [
        "/api/v1/webhooks/configs",
        "/api/v1/webhooks/events/{id}/reprocess",
        "/api/v1/webhooks/configs/{id}/sync",
        "/api/v1/repositories",
        "/api/v1/github/{owner}/{repo}/pulls",
        "/api/v1/github/{owner}/{repo}/labels/{name}",
        "/api/v1/rate-limits/health",
    ]:
        assert path in paths
    assert client.get("/openapi.yaml").status_code == 200


@pytest.mark.parametrize("path, marker", [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_docs_pages_load_with_local_assets(client, staff_user, path, marker):
    assert client.get(path).status_code in (401, 403)  # staff only, like the API
    client.force_login(staff_user)
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert marker in html.lower()
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    for asset in re.findall(r'src="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset
