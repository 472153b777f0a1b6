"""Celery tasks: sending messages, and the sweep that sends whatever is due (retries, held, stranded)."""

import logging

from celery import shared_task
from django.utils import timezone

from . import delivery, selectors

logger = logging.getLogger(__name__)

# Longer countdowns are left to send_due_messages: a Redis broker hands a task held past its
# visibility timeout (1 h) to a second worker, and a claim-less sweep is cheaper than that.
LONGEST_COUNTDOWN_SECONDS = 300
SWEEP_LIMIT = 10_000


@shared_task(acks_late=True, ignore_result=True)
def send_message(message_id):
    sent = delivery.send(message_id)
    enqueue(sent.next_ids)
    if sent.retry_in is not None:
        enqueue([message_id], countdown=sent.retry_in)


@shared_task(ignore_result=True)
def send_due_messages():
    """Every few seconds on beat: what is due and nobody holds (retries, after a broker outage, a dead worker)."""
    message_ids = selectors.due_message_ids(timezone.now(), SWEEP_LIMIT)
    enqueue(message_ids)
    return len(message_ids)


def enqueue(message_ids, countdown=0):
    """Hand messages to the workers; nothing is lost when that fails (the sweep finds them)."""
    if not message_ids:
        return
    if send_message.app.conf.task_always_eager:
        # Embedded mode (no broker): sent now, in this process; later retries wait for the sweep.
        if countdown <= 0:
            _send_inline(list(message_ids))
        return
    if countdown > LONGEST_COUNTDOWN_SECONDS:
        return
    try:
        for message_id in message_ids:
            send_message.apply_async((message_id,), countdown=countdown or None)
    except Exception:
        logger.warning("could not enqueue subscription messages; the sweep will send them", exc_info=True)


def _send_inline(queue):
    # A loop, not recursion: an ordered lane hands on its next message after each one.
    while queue:
        queue += delivery.send(queue.pop(0)).next_ids
