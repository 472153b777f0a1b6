import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import TEST_SECRET, post_delivery, sample_bytes
from webhooks.models import WebhookConfig, WebhookEvent

pytestmark = pytest.mark.django_db

CONFIGS = "/api/v1/webhooks/configs"
EVENTS = "/api/v1/webhooks/events"
NEW_CONFIG = {
    "repository": "octo-org/octo-repo",
    "url": "https://hooks.example.test/api/v1/webhooks/github",
    "secret": "a-very-secret-value-42",
    "events": ["push", "pull_request"],
}


def test_create_config_never_returns_the_secret(staff_client):
    response = staff_client.post(CONFIGS, NEW_CONFIG, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["has_secret"] is True
    assert body["last_delivery_at"] is None
    assert "secret" not in body and "previous_secret" not in body
    assert "a-very-secret-value-42" not in response.content.decode()
    assert WebhookConfig.objects.get().secret == "a-very-secret-value-42"

    listed = staff_client.get(CONFIGS)
    detail = staff_client.get(f"{CONFIGS}/{body['id']}")
    for answer in (listed, detail):
        assert answer.status_code == 200
        assert "a-very-secret-value-42" not in answer.content.decode()
    assert listed.json()["results"][0]["repository"] == "octo-org/octo-repo"


@pytest.mark.parametrize(
    "field, value",
    [
        ("repository", "not a repo"),
        ("repository", "owner/na me"),
        ("repository", "-owner/name"),
        ("repository", "owner/"),
        ("events", ["push", "no_such_event"]),
        ("events", []),
        ("url", "not-a-url"),
        ("secret", "short"),
        ("content_type", "xml"),
    ],
)
def test_invalid_config_is_400_with_detail(staff_client, field, value):
    response = staff_client.post(CONFIGS, {**NEW_CONFIG, field: value}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"]
    assert body["detail"].startswith(field)
    assert not WebhookConfig.objects.exists()


def test_duplicate_repository_is_400_not_500(staff_client):
    assert staff_client.post(CONFIGS, NEW_CONFIG, format="json").status_code == 201
    again = staff_client.post(CONFIGS, {**NEW_CONFIG, "repository": "OCTO-ORG/octo-repo"}, format="json")
    assert again.status_code == 400
    assert "repository" in again.json()["errors"]


def test_organization_config_and_wildcard_events(staff_client):
    response = staff_client.post(CONFIGS, {**NEW_CONFIG, "repository": "octo-org", "events": ["*"]}, format="json")
    assert response.status_code == 201
    assert response.json()["events"] == ["*"]


def test_patch_secret_rotates_and_keeps_the_old_one_for_a_while(staff_client, client):
    config_id = staff_client.post(
        CONFIGS, {**NEW_CONFIG, "repository": "Codertocat/Hello-World"}, format="json"
    ).json()["id"]
    response = staff_client.patch(f"{CONFIGS}/{config_id}", {"secret": "the-new-secret-value-1"}, format="json")
    assert response.status_code == 200
    assert response.json()["has_previous_secret"] is True
    assert "the-new-secret-value-1" not in response.content.decode()
    config = WebhookConfig.objects.get()
    assert config.secret == "the-new-secret-value-1"
    assert config.previous_secret == "a-very-secret-value-42"
    assert config.previous_secret_expires_at > timezone.now() + timedelta(hours=23)

    body = sample_bytes("push/with-new-branch.payload.json")
    assert post_delivery(client, "push", body, secret="a-very-secret-value-42").status_code == 202
    assert post_delivery(client, "push", body, secret="the-new-secret-value-1").status_code == 202


def test_patch_and_delete_config_keeps_its_events(staff_client, webhook_config, client):
    post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    url = f"{CONFIGS}/{webhook_config.pk}"
    assert staff_client.patch(url, {"active": False}, format="json").json()["active"] is False
    assert staff_client.delete(url).status_code == 204
    assert not WebhookConfig.objects.exists()
    event = WebhookEvent.objects.get()
    assert event.config is None


def test_events_list_is_newest_first_filterable_and_without_payload(staff_client, client, settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    for relative, event in [
        ("issues/opened.payload.json", "issues"),
        ("pull_request/opened.payload.json", "pull_request"),
        ("push/with-new-branch.payload.json", "push"),
    ]:
        post_delivery(client, event, sample_bytes(relative))

    listed = staff_client.get(EVENTS).json()
    assert "count" not in listed  # counting reads every matching row: only on demand
    assert staff_client.get(EVENTS, {"count": "true"}).json()["count"] == 3
    assert [row["event"] for row in listed["results"]] == ["push", "pull_request", "issues"]
    assert "payload" not in listed["results"][0]

    assert [r["event"] for r in staff_client.get(EVENTS, {"event": "issues"}).json()["results"]] == ["issues"]
    assert staff_client.get(EVENTS, {"action": "opened", "count": "true"}).json()["count"] == 2
    assert staff_client.get(EVENTS, {"repository": "codertocat/hello-world", "count": "true"}).json()["count"] == 3
    assert staff_client.get(EVENTS, {"status": "pending", "count": "true"}).json()["count"] == 3
    future = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert staff_client.get(EVENTS, {"received_after": future, "count": "true"}).json()["count"] == 0
    assert staff_client.get(EVENTS, {"received_before": future, "count": "true"}).json()["count"] == 3
    bad = staff_client.get(EVENTS, {"received_after": "yesterday"})
    assert bad.status_code == 400 and "detail" in bad.json()

    delivery_id = listed["results"][0]["delivery_id"]
    one = staff_client.get(EVENTS, {"delivery_id": delivery_id}).json()["results"]
    detail = staff_client.get(f"{EVENTS}/{one[0]['id']}").json()
    assert detail["payload"]["ref"] == "refs/heads/master"
    assert detail["headers"]["X-GitHub-Delivery"] == delivery_id


def test_unknown_event_id_is_json_404(staff_client):
    response = staff_client.get(f"{EVENTS}/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "No WebhookEvent matches the given query."}


@pytest.mark.parametrize("path", [CONFIGS, EVENTS, f"{CONFIGS}/1", f"{EVENTS}/1"])
def test_anonymous_is_refused(path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("path", [CONFIGS, EVENTS])
def test_non_staff_is_forbidden(plain_user_client, path):
    response = plain_user_client.get(path)
    assert response.status_code == 403
    assert plain_user_client.post(CONFIGS, NEW_CONFIG, format="json").status_code == 403


def test_bad_token_is_401_and_bearer_works(staff_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get(CONFIGS).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token}")
    assert client.get(CONFIGS).status_code == 200


def test_session_auth_for_staff(client, staff_user):
    client.force_login(staff_user)
    assert client.get(CONFIGS).status_code == 200


def test_tokens_are_stored_only_as_hashes(staff_token):
    from accounts.models import ApiToken

    token = ApiToken.objects.get()
    assert staff_token not in (token.key_hash, token.prefix)
    assert len(token.key_hash) == 64


def test_unknown_api_path_is_json_404(staff_client):
    response = staff_client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_created_config_gets_a_delivery_id_free_hook_id(staff_client):
    body = staff_client.post(CONFIGS, {**NEW_CONFIG, "hook_id": 123}, format="json").json()
    assert body["hook_id"] == 123
    other = staff_client.post(CONFIGS, {**NEW_CONFIG, "repository": "a/b", "hook_id": 123}, format="json")
    assert other.status_code == 400
    assert "hook_id" in other.json()["errors"]
    assert str(uuid.UUID(int=0))  # keep uuid import meaningful for readers of the suite
