"""Stored deliveries become state: engine behaviour (claim, retry, fail, sweep, reprocess, prune)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from repositories.models import Issue, PullRequest, Push
from tests.conftest import TEST_SECRET, post_delivery, sample_bytes, webhook_sample_files
from webhooks import processing, retention
from webhooks.models import WebhookEvent
from webhooks.tasks import process_event

pytestmark = pytest.mark.django_db

SAMPLES = webhook_sample_files()


@pytest.fixture(autouse=True)
def global_secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET


def deliver(client, event, relative, **kwargs):
    response = post_delivery(client, event, sample_bytes(relative), **kwargs)
    assert response.status_code in (200, 202), response.content
    return WebhookEvent.objects.get(delivery_id=response.json()["delivery_id"])


def test_receiver_enqueues_on_commit_and_the_task_builds_state(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_delivery(client, "pull_request", sample_bytes("pull_request/opened.payload.json"))
    assert response.status_code == 202
    assert callbacks[0].func.__name__ == "enqueue_event"  # then the task's own (cache invalidation)
    event = WebhookEvent.objects.get()
    assert event.status == "processed" and event.attempts == 1 and event.processed_at
    pull = PullRequest.objects.get()
    assert (pull.repository.full_name, pull.number, pull.state, pull.title) == (
        "Codertocat/Hello-World",
        2,
        "open",
        "Update the README with new information.",
    )
    assert (pull.head_ref, pull.base_ref, pull.author_login) == ("changes", "master", "Codertocat")


@pytest.mark.parametrize("event_name, path", SAMPLES, ids=[f"{e}/{p.name}" for e, p in SAMPLES])
def test_every_real_sample_processes_without_error(client, event_name, path):
    response = post_delivery(client, event_name, path.read_bytes())
    event = WebhookEvent.objects.get(delivery_id=response.json()["delivery_id"])
    processing.process_event(event.pk)
    event.refresh_from_db()
    assert event.status == "processed", event.last_error
    assert event.last_error == ""


def test_events_without_a_handler_are_processed_not_failed(client):
    event = deliver(client, "star", "star/created.payload.json")
    assert processing.process_event(event.pk) is None
    event.refresh_from_db()
    assert event.status == "processed"


def test_processing_twice_leaves_the_same_state(client):
    event = deliver(client, "push", "push/with-new-branch.payload.json")
    processing.process_event(event.pk)
    snapshot = list(Push.objects.values()), list(Push.objects.get().commits.values())
    processing.reprocess_events(WebhookEvent.objects.filter(pk=event.pk))
    processing.process_event(event.pk)
    assert (list(Push.objects.values()), list(Push.objects.get().commits.values())) == snapshot
    assert Push.objects.count() == 1 and Push.objects.get().commits.count() == 1


def test_a_claimed_event_is_not_claimed_again():
    event = WebhookEvent.objects.create(delivery_id="c-1", event="star", payload={}, received_at=timezone.now())
    assert processing.claim_event(event.pk) is not None
    assert processing.claim_event(event.pk) is None
    # A worker that died mid-event: its claim expires and the event is taken over.
    later = timezone.now() + timedelta(seconds=3600)
    taken = processing.claim_event(event.pk, now=later)
    assert taken is not None and taken.attempts == 2


def test_handler_failure_retries_with_backoff_then_fails(client, settings, failing_handler):
    settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS = 3
    event = deliver(client, "star", "star/created.payload.json")

    first = processing.process_event(event.pk)
    event.refresh_from_db()
    assert first == processing.retry_delay(1) == 2
    assert (event.status, event.attempts) == ("pending", 1)
    assert "boom from the test handler" in event.last_error
    assert event.next_attempt_at > timezone.now()

    assert processing.process_event(event.pk) == 4
    assert processing.process_event(event.pk) is None
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", 3)
    assert "RuntimeError" in event.last_error


def test_celery_task_retries_until_failed(client, settings, failing_handler):
    settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS = 3
    event = deliver(client, "star", "star/created.payload.json")
    process_event.delay(event.pk)  # eager in tests: retries run in-process
    event.refresh_from_db()
    assert (event.status, event.attempts, failing_handler["calls"]) == ("failed", 3, 3)


def test_other_events_keep_flowing_when_one_fails(client, settings, failing_handler):
    settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS = 1
    bad = deliver(client, "star", "star/created.payload.json")
    good = deliver(client, "issues", "issues/opened.payload.json")
    processing.process_event(bad.pk)
    processing.process_event(good.pk)
    assert WebhookEvent.objects.get(pk=bad.pk).status == "failed"
    assert WebhookEvent.objects.get(pk=good.pk).status == "processed"
    assert Issue.objects.filter(number=1).exists()


def test_reprocess_endpoint_reruns_a_failed_event(client, staff_client, settings, failing_handler):
    settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS = 1
    event = deliver(client, "star", "star/created.payload.json")
    processing.process_event(event.pk)
    assert WebhookEvent.objects.get(pk=event.pk).status == "failed"

    failing_handler["fail"] = False
    response = staff_client.post(f"/api/v1/webhooks/events/{event.pk}/reprocess")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    processing.process_event(event.pk)  # what the enqueued task does
    event.refresh_from_db()
    assert (event.status, event.last_error) == ("processed", "")


def test_reprocess_endpoint_is_staff_only(client, plain_user_client):
    event = deliver(client, "star", "star/created.payload.json")
    assert plain_user_client.post(f"/api/v1/webhooks/events/{event.pk}/reprocess").status_code == 403
    assert client.post(f"/api/v1/webhooks/events/{event.pk}/reprocess").status_code in (401, 403)


def test_admin_reprocess_action(client, django_user_model, django_capture_on_commit_callbacks):
    event = deliver(client, "issues", "issues/opened.payload.json")
    WebhookEvent.objects.filter(pk=event.pk).update(status="failed", attempts=5)
    admin = django_user_model.objects.create_superuser("root", "r@example.test", "pw-root-123456")
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/webhooks/webhookevent/",
            {"action": "reprocess", "_selected_action": [event.pk]},
        )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 1)


def test_sweep_enqueues_events_stored_while_the_broker_was_down(client, settings):
    """Deliveries whose enqueue never happened stay pending until the sweep."""
    old = timezone.now() - timedelta(seconds=settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS + 5)
    stale = deliver(client, "issues", "issues/opened.payload.json")
    fresh = deliver(client, "pull_request", "pull_request/opened.payload.json")
    WebhookEvent.objects.filter(pk=stale.pk).update(received_at=old)

    assert processing.sweep_pending_events() == 1  # eager: the sweep's task runs now
    assert WebhookEvent.objects.get(pk=stale.pk).status == "processed"
    # Too young: its own task may still be on its way.
    assert WebhookEvent.objects.get(pk=fresh.pk).status == "pending"


def test_sweep_leaves_retries_alone_until_due_and_takes_over_abandoned_events(client, settings):
    old = timezone.now() - timedelta(seconds=settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS + 5)
    waiting = deliver(client, "issues", "issues/opened.payload.json")
    abandoned = deliver(client, "push", "push/with-new-branch.payload.json")
    WebhookEvent.objects.filter(pk=waiting.pk).update(
        received_at=old, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    WebhookEvent.objects.filter(pk=abandoned.pk).update(
        received_at=old, status="processing", processing_started_at=old, attempts=1
    )
    assert processing.sweep_pending_events() == 1
    assert WebhookEvent.objects.get(pk=waiting.pk).status == "pending"
    taken = WebhookEvent.objects.get(pk=abandoned.pk)
    assert (taken.status, taken.attempts) == ("processed", 2)


def test_process_pending_command(client, settings):
    from django.core.management import call_command

    event = deliver(client, "issues", "issues/opened.payload.json")
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(hours=1))
    call_command("process_pending")
    assert WebhookEvent.objects.get(pk=event.pk).status == "processed"


def test_prune_deletes_old_processed_and_skipped_but_keeps_failed_and_state(client, settings):
    from django.core.management import call_command

    settings.WEBHOOK_EVENT_RETENTION_DAYS = 30
    long_ago = timezone.now() - timedelta(days=31)
    processed = deliver(client, "issues", "issues/opened.payload.json")
    processing.process_event(processed.pk)
    failed = deliver(client, "star", "star/created.payload.json")
    skipped = deliver(client, "star", "star/deleted.payload.json")
    recent = deliver(client, "push", "push/with-new-branch.payload.json")
    WebhookEvent.objects.filter(pk=failed.pk).update(status="failed")
    WebhookEvent.objects.filter(pk=skipped.pk).update(status="skipped")
    WebhookEvent.objects.exclude(pk=recent.pk).update(received_at=long_ago)

    call_command("prune_events")

    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {failed.pk, recent.pk}
    assert Issue.objects.filter(number=1).exists()


def test_prune_works_in_batches(settings):
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 1
    long_ago = timezone.now() - timedelta(days=2)
    WebhookEvent.objects.bulk_create(
        WebhookEvent(delivery_id=f"p-{i}", event="star", payload={}, status="processed", received_at=long_ago)
        for i in range(25)
    )
    assert retention.prune_events(batch_size=10) == 25
    assert not WebhookEvent.objects.exists()


def test_form_and_json_deliveries_build_the_same_state(client):
    from urllib.parse import urlencode

    body = urlencode({"payload": sample_bytes("issues/opened.payload.json").decode()}).encode()
    response = post_delivery(client, "issues", body, content_type="application/x-www-form-urlencoded")
    processing.process_event(WebhookEvent.objects.get(delivery_id=response.json()["delivery_id"]).pk)
    assert Issue.objects.get().title == json.loads(sample_bytes("issues/opened.payload.json"))["issue"]["title"]
