"""On the real engine: a Celery worker process sends the messages; the broker down delays them, loses none."""

import pytest
from standardwebhooks.webhooks import Webhook

from subscriptions.models import Message
from subscriptions.tasks import send_due_messages
from tests.conftest import TEST_SECRET, post_delivery, requires_postgres, requires_redis, sample_bytes
from tests.webhooks.test_celery_worker import wait_until
from webhooks import processing
from webhooks.models import WebhookEvent

pytestmark = [requires_postgres, requires_redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def subscription_worker(celery_worker_process):
    return celery_worker_process(SUBSCRIPTION_ALLOWED_NETWORKS="127.0.0.0/8", SUBSCRIPTION_RETRY_SCHEDULE="0,0,0")


def test_with_the_broker_down_messages_wait_and_none_is_lost(
    client,
    settings,
    subscriber,
    subscribe,
    broker_down,
    subscription_worker,  # noqa: F811
):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS = 0
    subscription = subscribe()
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    assert response.status_code == 202
    broker_down()  # back: the stored event is swept to the worker, processed, and its message sent
    processing.sweep_pending_events()
    assert wait_until(lambda: len(subscriber.received) == 1), "the worker sent nothing"
    message = Webhook(subscription["secret"]).verify(subscriber.received[0].body, subscriber.received[0].headers)
    assert message["data"]["delivery_id"] == response.json()["delivery_id"]
    assert wait_until(lambda: Message.objects.get().status == Message.Status.DELIVERED)


def test_a_message_whose_task_was_lost_is_sent_by_the_sweep(
    client,
    settings,
    subscriber,
    subscribe,
    broker_down,
    subscription_worker,  # noqa: F811
):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    subscribe()
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"))
    event = WebhookEvent.objects.get(delivery_id=response.json()["delivery_id"])
    # Processed here while the broker is down: the message exists, its task could not be sent.
    processing.process_event(event.pk)
    assert Message.objects.get().status == Message.Status.PENDING and subscriber.received == []
    broker_down()  # back
    assert send_due_messages() == 1
    assert wait_until(lambda: len(subscriber.received) == 1)
    assert wait_until(lambda: Message.objects.get().status == Message.Status.DELIVERED)


def test_the_sweep_does_not_queue_a_message_twice_while_its_task_waits(subscriber, subscribe, real_broker):
    from django.utils import timezone

    subscription = subscribe()
    Message.objects.create(
        msg_id="msg_waiting_in_the_queue",
        subscription_id=subscription["id"],
        type="ping",
        next_attempt_at=timezone.now(),
    )
    assert send_due_messages() == 1
    assert send_due_messages() == 0  # its task is still in the queue (no worker runs here)
    assert send_due_messages() == 0


def test_max_per_second_holds_across_two_worker_processes(subscriber, subscribe, celery_worker_process):
    """Two real workers share one per-second budget: 10 messages at 2 a second take at least 4 seconds."""
    from django.utils import timezone

    from subscriptions.tasks import enqueue

    for _ in range(2):
        celery_worker_process(SUBSCRIPTION_ALLOWED_NETWORKS="127.0.0.0/8", SUBSCRIPTION_RETRY_SCHEDULE="0,0,0")
    subscription = subscribe(max_per_second=2)
    ids = [
        Message.objects.create(
            msg_id=f"msg_budget_{number}",
            subscription_id=subscription["id"],
            type="ping",
            next_attempt_at=timezone.now(),
        ).pk
        for number in range(10)
    ]
    assert enqueue(ids) == 10
    assert wait_until(lambda: Message.objects.filter(status=Message.Status.DELIVERED).count() == 10, timeout=60)
    # webhook-timestamp: the second each attempt was sent in, right after it took its place in the budget.
    seconds = sorted(int(received.headers["webhook-timestamp"]) for received in subscriber.received)
    assert len(seconds) == 10
    assert seconds[-1] - seconds[0] >= 3, seconds  # unthrottled, two workers send all ten within a second
