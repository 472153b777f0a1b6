"""End to end on the real engine: signed delivery -> 202 -> Celery worker process -> state.

Needs PostgreSQL (the worker process reads the test database over its own
connection) and Redis (the broker). CI has both.
"""

import time

import pytest

from repositories.models import PullRequest
from tests.conftest import TEST_SECRET, post_delivery, requires_postgres, requires_redis, sample_bytes
from webhooks import processing
from webhooks.models import WebhookEvent

pytestmark = [requires_postgres, requires_redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def worker_process(celery_worker_process):
    return celery_worker_process()


def test_signed_delivery_is_processed_by_a_worker_process(client, settings, worker_process):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    response = post_delivery(client, "pull_request", sample_bytes("pull_request/opened.payload.json"))
    assert response.status_code == 202

    event = WebhookEvent.objects.get(delivery_id=response.json()["delivery_id"])
    assert wait_until(lambda: WebhookEvent.objects.get(pk=event.pk).status == "processed"), "worker did not process"
    assert PullRequest.objects.get().state == "open"
    assert WebhookEvent.objects.get(pk=event.pk).attempts == 1


def test_deliveries_stored_while_the_broker_is_down_are_processed_after_the_sweep(
    client, settings, real_broker, broker_down, worker_process
):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS = 0
    responses = [
        post_delivery(client, "issues", sample_bytes("issues/opened.payload.json")),
        post_delivery(client, "pull_request", sample_bytes("pull_request/opened.payload.json")),
    ]
    assert [r.status_code for r in responses] == [202, 202]
    time.sleep(1)
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"pending"}

    broker_down()  # the broker is back
    assert processing.sweep_pending_events() == 2
    assert wait_until(lambda: set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"})
    assert PullRequest.objects.count() == 1
