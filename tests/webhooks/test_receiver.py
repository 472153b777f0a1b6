import json
import logging
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tests.conftest import (
    RECEIVER_URL,
    TEST_SECRET,
    is_postgres,
    post_delivery,
    sample_bytes,
    sample_json,
    sign,
    webhook_sample_files,
)
from webhooks.models import WebhookConfig, WebhookEvent

pytestmark = pytest.mark.django_db

SAMPLES = webhook_sample_files()


@pytest.mark.parametrize("event_name, path", SAMPLES, ids=[f"{e}/{p.name}" for e, p in SAMPLES])
def test_every_real_sample_is_accepted_and_stored(client, settings, event_name, path):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    body = path.read_bytes()
    payload = json.loads(body)
    delivery_id = str(uuid.uuid4())

    response = post_delivery(client, event_name, body, delivery_id=delivery_id)

    stored = WebhookEvent.objects.get(delivery_id=delivery_id)
    if event_name == "ping":
        assert response.status_code == 200
        assert stored.status == "processed"
    else:
        assert response.status_code == 202
        assert response.json() == {"delivery_id": delivery_id, "event": event_name, "status": "queued"}
        assert stored.status == "pending"
    assert stored.event == event_name
    assert stored.action == payload.get("action", "")
    assert stored.repository_full_name == (payload.get("repository") or {}).get("full_name", "")
    assert stored.sender_login == payload["sender"]["login"]
    assert stored.payload == payload
    assert stored.headers["X-GitHub-Event"] == event_name


def test_new_delivery_is_queued_and_stored_once(client, webhook_config):
    body = sample_bytes("issues/opened.payload.json")
    response = post_delivery(client, "issues", body, delivery_id="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert response.status_code == 202
    assert response.json() == {
        "delivery_id": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "event": "issues",
        "status": "queued",
    }
    event = WebhookEvent.objects.get()
    assert (event.event, event.action, event.config_id) == ("issues", "opened", webhook_config.pk)
    assert event.installation_id is None


def test_a_configs_last_delivery_is_its_newest_stored_delivery(client, staff_client, webhook_config):
    url = f"/api/v1/webhooks/configs/{webhook_config.pk}"
    assert staff_client.get(url).json()["last_delivery_at"] is None
    for delivery_id, sample in [("first", "issues/opened.payload.json"), ("second", "issues/edited.payload.json")]:
        assert post_delivery(client, "issues", sample_bytes(sample), delivery_id=delivery_id).status_code == 202
    newest = WebhookEvent.objects.get(delivery_id="second")
    listed = staff_client.get("/api/v1/webhooks/configs").json()["results"]
    assert [item["last_delivery_at"] for item in listed] == [staff_client.get(url).json()["last_delivery_at"]]
    assert parse_datetime(listed[0]["last_delivery_at"]) == newest.received_at


def test_redelivery_is_a_duplicate_and_leaves_the_original_untouched(client, webhook_config):
    body = sample_bytes("issues/opened.payload.json")
    first = post_delivery(client, "issues", body, delivery_id="same-id")
    original = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=original.pk).update(status="processed", attempts=1)

    again = post_delivery(client, "issues", sample_bytes("issues/edited.payload.json"), delivery_id="same-id")

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"delivery_id": "same-id", "status": "duplicate"}
    stored = WebhookEvent.objects.get()
    assert (stored.pk, stored.action, stored.status, stored.attempts) == (original.pk, "opened", "processed", 1)


def test_ping_is_answered_200_and_stored_processed(client, settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    response = post_delivery(client, "ping", sample_bytes("ping/payload.json"))
    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    event = WebhookEvent.objects.get()
    assert event.status == "processed" and event.processed_at is not None
    assert event.hook_id == sample_json("ping/payload.json")["hook_id"]


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha1=9a9f0305c9d734313619f456f97d71c1276ca31f", "sha256=nothex", "sha256=" + "0" * 64],
    ids=["missing", "empty", "sha1", "malformed", "wrong"],
)
def test_bad_signature_is_401_and_not_stored(client, webhook_config, signature):
    body = sample_bytes("issues/opened.payload.json")
    headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": str(uuid.uuid4())}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    response = client.post(RECEIVER_URL, body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert "detail" in response.json()
    assert not WebhookEvent.objects.exists()


def test_signature_with_another_secret_is_401(client, webhook_config):
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"), secret="not-the-secret")
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_one_changed_byte_in_the_body_is_401(client, webhook_config):
    body = sample_bytes("issues/opened.payload.json")
    headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": "x1", "X-Hub-Signature-256": sign(body)}
    tampered = body.replace(b'"opened"', b'"closed"', 1)
    response = client.post(RECEIVER_URL, tampered, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_no_secret_anywhere_is_401(client):
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    assert response.status_code == 401
    assert response.json() == {"detail": "No webhook secret is configured for this delivery."}
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("missing", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_missing_event_or_delivery_header_is_400(client, webhook_config, missing):
    body = sample_bytes("issues/opened.payload.json")
    headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": sign(body)}
    del headers[missing]
    response = client.post(RECEIVER_URL, body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert missing in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2, 3]", b'"a string"', b"  ", b"\xff\xfe\x00garbage", b"[" * 5000 + b"]" * 5000],
    ids=["invalid", "array", "string", "blank", "binary", "deep-array"],
)
def test_body_that_is_not_a_json_object_is_400(client, settings, body):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    response = post_delivery(client, "issues", body)
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not WebhookEvent.objects.exists()


def test_json_nested_too_deep_is_400(client, settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    nested = {}
    for _ in range(settings.WEBHOOK_MAX_JSON_DEPTH + 1):
        nested = {"a": nested}
    response = post_delivery(client, "issues", nested)
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("depth, status", [(5, 202), (6, 400)])
def test_json_depth_limit_counts_objects_and_arrays_exactly(client, settings, depth, status):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    settings.WEBHOOK_MAX_JSON_DEPTH = 5
    deepest = {"leaf": 1}
    for level in range(depth - 2):
        deepest = [deepest, 2] if level % 2 else {"inner": deepest, "n": 3}
    payload = {"zen": "flat siblings do not count", "siblings": [[1], {"a": 2}], "deep": deepest}  # the root is level 1
    response = post_delivery(client, "issues", payload)
    assert response.status_code == status
    assert WebhookEvent.objects.exists() is (status == 202)


def test_body_over_the_cap_is_413(client, settings, webhook_config):
    settings.WEBHOOK_MAX_BODY_BYTES = 10_000
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_multi_megabyte_push_is_accepted_above_djangos_upload_limit(client, settings, webhook_config):
    payload = sample_json("push/with-new-branch.payload.json")
    commit = payload["commits"][0]
    payload["commits"] = [dict(commit, id=f"{i:040x}", message="m" * 2000) for i in range(2500)]
    body = json.dumps(payload).encode()
    assert len(body) > 2 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = post_delivery(client, "push", body)

    assert response.status_code == 202
    assert len(WebhookEvent.objects.get().payload["commits"]) == 2500


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", ""])
def test_unsupported_content_type_is_415(client, webhook_config, content_type):
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"), content_type=content_type)
    assert response.status_code == 415
    assert not WebhookEvent.objects.exists()


def test_form_encoded_delivery_is_verified_over_the_raw_body(client, webhook_config):
    payload_text = sample_bytes("pull_request/opened.payload.json").decode()
    body = urlencode({"payload": payload_text}).encode()
    response = post_delivery(client, "pull_request", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 202
    assert WebhookEvent.objects.get().payload == json.loads(payload_text)


def test_form_encoded_delivery_without_payload_field_is_400(client, webhook_config):
    body = urlencode({"other": "{}"}).encode()
    response = post_delivery(client, "issues", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_inactive_config_is_stored_skipped(client, webhook_config):
    webhook_config.active = False
    webhook_config.save()
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    assert response.status_code == 202
    assert response.json()["status"] == "skipped"
    assert WebhookEvent.objects.get().status == "skipped"


def test_event_not_in_config_events_is_stored_skipped(client, webhook_config):
    webhook_config.events = ["push"]
    webhook_config.save()
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    assert response.status_code == 202
    assert response.json()["status"] == "skipped"
    assert WebhookEvent.objects.get().status == "skipped"
    ok = post_delivery(client, "push", sample_bytes("push/with-new-branch.payload.json"))
    assert ok.json()["status"] == "queued"


def test_organization_config_signs_every_repository_of_the_org(client):
    org = WebhookConfig.objects.create(
        repository="octo-org", url="https://h.example.test/x", secret="org-level-secret-123"
    )
    body = sample_bytes("issues/transferred.payload.json")  # repository octo-org/octo-repo
    assert post_delivery(client, "issues", body, secret="org-level-secret-123").status_code == 202
    assert WebhookEvent.objects.get().config == org
    # The org ping has no repository, only `organization`.
    WebhookConfig.objects.create(repository="Octocoders", url="https://h.example.test/x", secret="octocoders-secret-12")
    ping = post_delivery(
        client, "ping", sample_bytes("ping/with-organization.payload.json"), secret="octocoders-secret-12"
    )
    assert ping.status_code == 200


def test_repository_config_wins_over_org_config_and_hook_id_wins_over_both(client):
    WebhookConfig.objects.create(
        repository="Codertocat", url="https://h.example.test/x", secret="org-secret-0123456789"
    )
    repo = WebhookConfig.objects.create(
        repository="codertocat/hello-world", url="https://h.example.test/x", secret="repo-secret-0123456789"
    )
    body = sample_bytes("issues/opened.payload.json")
    assert post_delivery(client, "issues", body, secret="org-secret-0123456789").status_code == 401
    assert post_delivery(client, "issues", body, secret="repo-secret-0123456789").status_code == 202
    hooked = WebhookConfig.objects.create(
        repository="someone/else", url="https://h.example.test/x", secret="hook-secret-0123456789", hook_id=4242
    )
    response = post_delivery(client, "issues", body, secret="hook-secret-0123456789", **{"X-GitHub-Hook-ID": "4242"})
    assert response.status_code == 202
    assert WebhookEvent.objects.get(hook_id=4242).config == hooked
    assert repo.pk != hooked.pk


def test_global_secret_is_the_fallback(client, settings):
    settings.GITHUB_WEBHOOK_SECRET = "global-fallback-secret"
    response = post_delivery(
        client, "issues", sample_bytes("issues/opened.payload.json"), secret="global-fallback-secret"
    )
    assert response.status_code == 202
    assert WebhookEvent.objects.get().config is None


def test_previous_secret_is_accepted_until_it_expires(client, webhook_config):
    body = sample_bytes("issues/opened.payload.json")
    webhook_config.previous_secret = "old-secret-0123456789"
    webhook_config.previous_secret_expires_at = timezone.now() + timedelta(hours=1)
    webhook_config.save()
    assert post_delivery(client, "issues", body, secret="old-secret-0123456789").status_code == 202
    assert post_delivery(client, "issues", body, secret=TEST_SECRET).status_code == 202

    webhook_config.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    webhook_config.save()
    assert post_delivery(client, "issues", body, secret="old-secret-0123456789").status_code == 401
    assert WebhookEvent.objects.count() == 2


def test_nul_and_lone_surrogate_are_stored_not_refused(client, webhook_config):
    payload = sample_json("issues/opened.payload.json")
    payload["issue"]["title"] = "nul \u0000 and \ud800 here"
    body = json.dumps(payload).encode()
    response = post_delivery(client, "issues", body)
    assert response.status_code == 202
    title = WebhookEvent.objects.get().payload["issue"]["title"]
    assert title.startswith("nul ") and title.endswith(" here")
    if is_postgres():
        assert "\u0000" not in title


def test_receiver_answers_json_on_get(client):
    response = client.get(RECEIVER_URL)
    assert response.status_code == 405
    assert "detail" in response.json()


def test_secret_never_logged(client, webhook_config, caplog):
    caplog.set_level(logging.DEBUG)
    post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"), secret="wrong-secret-xyz")
    assert caplog.records
    assert TEST_SECRET not in caplog.text
    assert "wrong-secret-xyz" not in caplog.text
