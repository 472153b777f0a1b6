"""Hooks on GitHub from our configs: sync, ping, redeliver_failed, against the simulator."""

import io
import time
import uuid

import pytest
from django.core.management import call_command

from webhooks.models import WebhookConfig, WebhookEvent

CONFIGS = "/api/v1/webhooks/configs"
HOOKS = "/repos/octocat/hello-world/hooks"


@pytest.fixture
def config(fake_github):
    return WebhookConfig.objects.create(
        repository="octocat/hello-world",
        url="https://hooks.example.test/api/v1/webhooks/github",
        secret="hook-secret-0123456789",
        events=["issues", "push"],
    )


def test_sync_creates_then_updates_the_hook(staff_client, fake_github, config):
    created = staff_client.post(f"{CONFIGS}/{config.pk}/sync")
    assert created.status_code == 201
    assert created.json()["last_delivery_at"] is None
    config.refresh_from_db()
    assert created.json()["hook_id"] == config.hook_id is not None
    sent = fake_github.requests_to(HOOKS, "POST")[0].body
    assert sent["events"] == ["issues", "push"]
    assert sent["config"] == {
        "url": "https://hooks.example.test/api/v1/webhooks/github",
        "content_type": "json",
        "secret": "hook-secret-0123456789",
        "insecure_ssl": "0",
    }
    assert "hook-secret-0123456789" not in created.content.decode()

    config.events = ["*"]
    config.save()
    updated = staff_client.post(f"{CONFIGS}/{config.pk}/sync")
    assert updated.status_code == 200
    assert fake_github.requests_to(f"{HOOKS}/{config.hook_id}", "PATCH")[0].body["events"] == ["*"]
    assert len(fake_github.requests_to(HOOKS, "POST")) == 1


def test_sync_recreates_a_hook_deleted_on_github(staff_client, fake_github, config):
    config.hook_id = 987654
    config.save()
    response = staff_client.post(f"{CONFIGS}/{config.pk}/sync")
    assert response.status_code == 201
    config.refresh_from_db()
    assert config.hook_id != 987654


def test_ping_needs_a_synced_hook_then_asks_github(staff_client, fake_github, config):
    assert staff_client.post(f"{CONFIGS}/{config.pk}/ping").status_code == 409
    staff_client.post(f"{CONFIGS}/{config.pk}/sync")
    config.refresh_from_db()
    response = staff_client.post(f"{CONFIGS}/{config.pk}/ping")
    assert response.status_code == 202
    assert fake_github.requests_to(f"{HOOKS}/{config.hook_id}/pings", "POST")


def test_sync_of_an_organization_config_is_a_clear_400(staff_client, fake_github):
    org = WebhookConfig.objects.create(repository="octocat", url="https://h.example.test/x", secret="s" * 20)
    response = staff_client.post(f"{CONFIGS}/{org.pk}/sync")
    assert response.status_code == 400
    assert "Organization" in response.json()["detail"]


def test_sync_when_github_fails_is_502(staff_client, fake_github, config, settings):
    settings.GITHUB_RETRY_ATTEMPTS = 1
    fake_github.fail_next(3, status=500)
    response = staff_client.post(f"{CONFIGS}/{config.pk}/sync")
    assert response.status_code == 502
    assert response.json()["detail"]


def seed_history(fake_github, hook_id):
    """Failed, succeeded, already-stored and redelivered-then-succeeded deliveries."""
    seed = lambda **kw: fake_github.seed_delivery("octocat", "hello-world", hook_id, **kw)  # noqa: E731
    failed = str(uuid.uuid4())
    seed(guid=failed, status_code=502)
    seed(guid=failed, status_code=504, redelivery=True)
    succeeded = seed(status_code=200)["guid"]
    recovered = str(uuid.uuid4())
    seed(guid=recovered, status_code=500)
    seed(guid=recovered, status_code=202, redelivery=True)
    stored = seed(status_code=503)["guid"]
    WebhookEvent.objects.create(delivery_id=stored, event="push", payload={}, received_at="2026-01-01T00:00:00Z")
    old = seed(status_code=500, delivered_at=time.time() - 5 * 86400)["guid"]
    # Enough successes to need a second page (100 per page).
    for _ in range(120):
        seed(status_code=200)
    return {"failed": failed, "succeeded": succeeded, "recovered": recovered, "stored": stored, "old": old}


def test_redeliver_failed_asks_once_per_missing_guid(fake_github, config):
    from webhooks import hooks

    hooks.sync_hook(config)
    guids = seed_history(fake_github, config.hook_id)
    out = io.StringIO()
    call_command("redeliver_failed", "--since", "24h", stdout=out)

    attempts = [r for r in fake_github.requests if r.method == "POST" and r.path.endswith("/attempts")]
    assert len(attempts) == 1
    # The latest failed attempt of the one GUID we never stored and never succeeded.
    delivery_id = attempts[0].path.split("/")[-2]
    redelivered = [
        d for d in fake_github.repo("octocat", "hello-world").deliveries[config.hook_id] if str(d["id"]) == delivery_id
    ]
    assert redelivered[0]["guid"] == guids["failed"]
    assert "redelivered 1" in out.getvalue() and "already stored 1" in out.getvalue()
    # The Link cursor was followed past the first page of 100.
    assert any("cursor" in r.query for r in fake_github.requests_to(f"{HOOKS}/{config.hook_id}/deliveries"))


def test_redeliver_failed_again_does_not_repeat_a_now_successful_guid(fake_github, config):
    from webhooks import hooks

    hooks.sync_hook(config)
    seed_history(fake_github, config.hook_id)
    first = hooks.redeliver_failed(config, since=_hours_ago(24))
    second = hooks.redeliver_failed(config, since=_hours_ago(24))
    assert (first.redelivered, second.redelivered) == (1, 0)  # the simulator's redelivery succeeded


def test_redeliver_failed_for_a_config_without_hook_is_an_error(fake_github, config):
    from django.core.management.base import CommandError

    with pytest.raises(Exception) as raised:
        call_command("redeliver_failed", "--config", str(config.pk))
    assert raised.type.__name__ == "HookNotSynced"
    with pytest.raises(CommandError):
        call_command("redeliver_failed", "--since", "yesterday")


def test_periodic_task_covers_every_synced_config(fake_github, config):
    from webhooks import hooks
    from webhooks.tasks import redeliver_failed_deliveries

    hooks.sync_hook(config)
    seed_history(fake_github, config.hook_id)
    assert redeliver_failed_deliveries() == {"octocat/hello-world": 1}


def test_admin_actions_sync_and_redeliver(client, django_user_model, fake_github, config):
    admin = django_user_model.objects.create_superuser("root", "r@example.test", "pw-root-123456")
    client.force_login(admin)
    url = "/admin/webhooks/webhookconfig/"
    response = client.post(url, {"action": "sync_on_github", "_selected_action": [config.pk]}, follow=True)
    assert "synced" in response.content.decode()
    config.refresh_from_db()
    assert config.hook_id is not None
    response = client.post(url, {"action": "redeliver_failed", "_selected_action": [config.pk]}, follow=True)
    assert "checked" in response.content.decode()
    assert "hook-secret-0123456789" not in response.content.decode()


def _hours_ago(hours):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() - timedelta(hours=hours)
