"""A Celery worker SIGKILLed in the middle of an event: processed after the restart, once in effect.

The worker dies with the handler's writes made but not committed; PostgreSQL
rolls them back, the event is left ``processing``. A new worker (the message
is redelivered after the visibility timeout) or the sweep (the event is
abandoned after the processing timeout) takes it over: the repository state
ends exactly as if the event had been processed once.
"""

import os
import signal

import pytest

from repositories.models import Issue, Repository
from tests.conftest import post_delivery, requires_postgres, sample_bytes
from tests.drills.conftest import needs_redis_server, wait_until
from webhooks import processing
from webhooks.models import WebhookEvent

pytestmark = [requires_postgres, needs_redis_server, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TIMEOUTS = {"CELERY_VISIBILITY_TIMEOUT": 3, "WEBHOOK_PROCESSING_TIMEOUT_SECONDS": 3}


def test_event_of_a_killed_worker_is_processed_once_after_the_restart(
    client, settings, tmp_path, webhook_config, private_redis, real_broker, workers
):
    settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS = TIMEOUTS["WEBHOOK_PROCESSING_TIMEOUT_SECONDS"]
    settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS = 0
    real_broker(private_redis.url)
    worker = workers.start(private_redis.url, app_module="tests.drills.celery_app", DRILL_DIR=tmp_path, **TIMEOUTS)

    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    assert response.status_code == 202
    event = WebhookEvent.objects.get(delivery_id=response.json()["delivery_id"])

    assert wait_until(lambda: (tmp_path / "stalled").exists(), timeout=60), "the worker never started the event"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    event.refresh_from_db()
    assert event.status == "processing" and event.attempts == 1
    # Killed mid-transaction: nothing the handlers wrote survived.
    assert not Issue.objects.exists() and not Repository.objects.exists()

    workers.start(private_redis.url, app_module="tests.drills.celery_app", DRILL_DIR=tmp_path, **TIMEOUTS)

    def processed():
        processing.sweep_pending_events()  # what beat does every minute
        event.refresh_from_db()
        return event.status == "processed"

    assert wait_until(processed, timeout=90, every=1.0), (event.status, event.attempts, event.last_error)
    assert Issue.objects.count() == 1 and Repository.objects.count() == 1
    assert event.attempts == 2
    # A late copy of the task (the redelivered message) changes nothing.
    assert processing.process_event(event.pk) is None
    event.refresh_from_db()
    assert event.attempts == 2 and Issue.objects.count() == 1


@pytest.mark.skipif(not os.environ.get("RUN_DRILLS"), reason="long drill: run by `make drills` (RUN_DRILLS=1)")
def test_a_backlog_survives_repeated_worker_kills(
    client, settings, tmp_path, webhook_config, private_redis, real_broker, workers
):
    """300 events; the worker is SIGKILLed three times while draining them; all end processed, none twice."""
    settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS = TIMEOUTS["WEBHOOK_PROCESSING_TIMEOUT_SECONDS"]
    settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS = 0
    (tmp_path / "stalled").write_text("no stall in this drill")
    real_broker(private_redis.url)
    samples = [
        ("issues", "issues/opened.payload.json"),
        ("pull_request", "pull_request/opened.payload.json"),
        ("issues", "issues/edited.payload.json"),
        ("star", "star/created.payload.json"),
    ]
    for number in range(300):
        event, sample = samples[number % len(samples)]
        assert post_delivery(client, event, sample_bytes(sample)).status_code == 202

    def processed_count():
        return WebhookEvent.objects.filter(status="processed").count()

    for target in (60, 140, 220):
        worker = workers.start(private_redis.url, app_module="tests.drills.celery_app", DRILL_DIR=tmp_path, **TIMEOUTS)
        assert wait_until(lambda target=target: processed_count() >= target, timeout=120)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    workers.start(private_redis.url, app_module="tests.drills.celery_app", DRILL_DIR=tmp_path, **TIMEOUTS)

    def all_processed():
        processing.sweep_pending_events()
        return processed_count() == 300

    assert wait_until(all_processed, timeout=180, every=1.0)
    assert not WebhookEvent.objects.exclude(status="processed").exists()
    assert Issue.objects.count() == 1  # one issue, opened then edited, however often it was replayed
