"""Celery tasks: sending messages, and the sweep that sends whatever is due (retries, held, stranded)."""

import logging
import time

from celery import shared_task
from django.utils import timezone

from . import delivery, selectors

logger = logging.getLogger(__name__)

# Longer countdowns are left to send_due_messages: a Redis broker hands a task held past its
# visibility timeout (1 h) to a second worker, and a claim-less sweep is cheaper than that.
LONGEST_COUNTDOWN_SECONDS = 300
SWEEP_LIMIT = 10_000
# How long a queued task's mark outlives its countdown: after that a lost task's message is swept again.
QUEUED_MARK_SECONDS = 600


# An ordered lane goes on in the task that delivered its head, for up to this long, rather than
# queueing each next message behind the whole backlog.
LANE_TURN_SECONDS = 10


@shared_task(acks_late=True, ignore_result=True)
def send_message(message_id):
    turn_ends = time.monotonic() + LANE_TURN_SECONDS
    queue = [message_id]
    while queue:
        current = queue.pop(0)
        sent = delivery.send(current)
        if sent.retry_in is not None:
            enqueue([current], countdown=sent.retry_in)
        if time.monotonic() < turn_ends:
            queue += sent.next_ids
        else:
            enqueue(sent.next_ids)


@shared_task(ignore_result=True)
def send_due_messages():
    """Every few seconds on beat: what is due and nobody holds (retries, after a broker outage, a dead worker)."""
    return enqueue(selectors.due_message_ids(timezone.now(), SWEEP_LIMIT))


def enqueue(message_ids, countdown=0):
    """Hand messages to the workers; how many were handed. Nothing is lost when that fails (the sweep finds them)."""
    if not message_ids:
        return 0
    if send_message.app.conf.task_always_eager:
        # Embedded mode (no broker): sent now, in this process; later retries wait for the sweep.
        if countdown > 0:
            return 0
        _send_inline(list(message_ids))
        return len(message_ids)
    if countdown > LONGEST_COUNTDOWN_SECONDS:
        return 0
    # Only the messages no queued task waits for: one UPDATE marks them and says which.
    marked = delivery.mark_queued(message_ids, countdown + QUEUED_MARK_SECONDS)
    for position, message_id in enumerate(marked):
        try:
            send_message.apply_async((message_id,), countdown=countdown or None)
        except Exception:
            delivery.unmark_queued(marked[position:])
            logger.warning("could not enqueue subscription messages; the sweep will send them", exc_info=True)
            return position
    return len(marked)


def _send_inline(queue):
    # A loop, not recursion: an ordered lane hands on its next message after each one.
    while queue:
        queue += delivery.send(queue.pop(0)).next_ids
