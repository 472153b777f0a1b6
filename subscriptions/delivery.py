"""Sending one message: claimed by one worker, POSTed signed, and settled (delivered, retried, failed, held).

A claim is one ``UPDATE … RETURNING`` that takes the message only when it is
due, nobody holds it, its subscription is active and (ordered subscriptions)
nothing is ahead of it in its repository's lane: no earlier message still
pending, no earlier event of that repository still being processed. The claim
holds the message for the timeout plus a margin; a worker that dies while
sending leaves it to be taken over after that, with the same ``webhook-id``.
The Celery tasks call in here and enqueue what ``send`` says is next.
"""

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollups import recorder
from rollups.models import Series
from webhooks.models import WebhookEvent

from . import metrics, selectors, throttle
from .destinations import DestinationRefused, check_url
from .models import Attempt, Message, Subscription
from .payloads import message_body
from .signing import signature_headers

logger = logging.getLogger(__name__)

# Past the timeout, how long a claim still stands before another worker may take the message over.
CLAIM_MARGIN_SECONDS = 30
RESPONSE_BODY_BYTES = 1024
GONE = 410
RETRY_AFTER_STATUSES = (429, 503)

# One session per process: connections to a subscriber are reused. No proxies or .netrc from the
# environment (trust_env): a message goes straight to the address that was checked.
_session = requests.Session()
_session.trust_env = False


@dataclass
class Sent:
    """What the tasks do next: try this message again in ``retry_in`` seconds, send ``next_ids`` now."""

    retry_in: float | None = None
    next_ids: list = field(default_factory=list)


@dataclass
class Answer:
    result: str  # metrics.ATTEMPT_RESULTS
    status_code: int | None = None
    body: str = ""
    error: str = ""
    duration: float = 0.0
    retry_after: float | None = None

    @property
    def delivered(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def claim(message_id, now):
    """Take a message for one attempt; None when it is not due, held, blocked or its subscription inactive."""
    lease = now + timedelta(seconds=settings.SUBSCRIPTION_TIMEOUT_SECONDS + CLAIM_MARGIN_SECONDS)
    messages, subscriptions, events = (
        Message._meta.db_table,
        Subscription._meta.db_table,
        WebhookEvent._meta.db_table,
    )
    pending = Message.Status.PENDING
    claimed = Message.objects.raw(
        f"UPDATE {messages} SET locked_until = %s, attempts = attempts + 1 "
        f"WHERE id = %s AND status = %s AND next_attempt_at <= %s "
        f"AND (locked_until IS NULL OR locked_until < %s) "
        f"AND EXISTS (SELECT 1 FROM {subscriptions} s WHERE s.id = {messages}.subscription_id AND s.active) "
        f"AND ({messages}.lane = '' OR ("
        f" NOT EXISTS (SELECT 1 FROM {messages} ahead WHERE ahead.subscription_id = {messages}.subscription_id"
        f"  AND ahead.lane = {messages}.lane AND ahead.status = %s AND ahead.sequence < {messages}.sequence)"
        f" AND NOT EXISTS (SELECT 1 FROM {events} earlier WHERE earlier.repository_full_name = {messages}.lane"
        f"  AND earlier.id < {messages}.sequence AND earlier.status IN (%s, %s)))) "
        "RETURNING *",
        [
            lease,
            message_id,
            pending,
            now,
            now,
            pending,
            WebhookEvent.Status.PENDING,
            WebhookEvent.Status.PROCESSING,
        ],
    )
    return next(iter(claimed), None)


def mark_queued(message_ids, seconds):
    """Mark the messages a task is about to be queued for; the ids marked (those no queued task waits for)."""
    now = timezone.now()
    ids = [int(message_id) for message_id in message_ids]
    placeholders = ", ".join(["%s"] * len(ids))
    marked = Message.objects.raw(
        f"UPDATE {Message._meta.db_table} SET queued_until = %s "
        f"WHERE id IN ({placeholders}) AND (queued_until IS NULL OR queued_until < %s) RETURNING id",
        [now + timedelta(seconds=seconds), *ids, now],
    )
    found = {message.pk for message in marked}
    return [message_id for message_id in ids if message_id in found]  # in the order asked


def unmark_queued(message_ids):
    Message.objects.filter(pk__in=list(message_ids)).update(queued_until=None)


def send(message_id):
    """One attempt at a message, if it can be claimed; what to do next."""
    # Its task has started: from now on a kick or the sweep may queue it again.
    Message.objects.filter(pk=message_id, queued_until__isnull=False).update(queued_until=None)
    now = timezone.now()
    message = claim(message_id, now)
    if message is None:
        return Sent()
    subscription = Subscription.objects.get(pk=message.subscription_id)
    if not throttle.take(subscription, time.time()):
        # Over max_per_second: not an attempt. Handed back, tried at the next second.
        wait = 1.0 - (time.time() % 1.0)
        Message.objects.filter(pk=message.pk).update(
            locked_until=None, attempts=message.attempts - 1, next_attempt_at=now + timedelta(seconds=wait)
        )
        return Sent(retry_in=wait)
    event = selectors.message_event(message)
    if message.event_id is not None and event is None:
        # Its event is gone with retention (a replay raced the drop of its day): nothing left to send.
        Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED, locked_until=None)
        return Sent()
    body = message_body(message, event, subscription)
    answer = post(subscription, message, event, body)
    return settle(message, subscription, answer)


def post(subscription, message, event, body):
    """POST the message to the subscription, checked against SSRF first; never raises."""
    try:
        check_url(subscription.url)
    except DestinationRefused as exc:
        return Answer("refused", error=f"url {exc}"[:255])
    now = time.time()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": settings.SUBSCRIPTION_USER_AGENT,
        **signature_headers(message.msg_id, body, selectors.active_secrets(subscription, timezone.now()), now),
    }
    if event is not None:
        headers["X-GitHub-Event"] = event.event
        headers["X-GitHub-Delivery"] = event.delivery_id
    else:
        headers["X-GitHub-Event"] = message.type
    started = time.perf_counter()
    try:
        with _session.post(
            subscription.url,
            data=body.encode(),
            headers=headers,
            timeout=settings.SUBSCRIPTION_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            head = response.raw.read(RESPONSE_BODY_BYTES, decode_content=True) or b""
            answer = Answer(
                "delivered" if 200 <= response.status_code < 300 else "http_error",
                status_code=response.status_code,
                body=head.decode("utf-8", "replace"),
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
    except requests.Timeout:
        answer = Answer("timeout", error=f"no answer within {settings.SUBSCRIPTION_TIMEOUT_SECONDS:g} s")
    except (requests.RequestException, OSError) as exc:
        answer = Answer("connection_error", error=f"{exc.__class__.__name__}"[:255])
    answer.duration = time.perf_counter() - started
    return answer


def _retry_after(value):
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the schedule decides


def retry_delay(attempts, answer):
    """Seconds before the next attempt after ``attempts`` failed ones, or None when none is left."""
    schedule = settings.SUBSCRIPTION_RETRY_SCHEDULE
    if attempts >= len(schedule):
        return None
    delay = schedule[attempts] * (1 + random.random() * settings.SUBSCRIPTION_RETRY_JITTER)
    if answer.status_code in RETRY_AFTER_STATUSES and answer.retry_after is not None:
        delay = max(delay, min(answer.retry_after, settings.SUBSCRIPTION_RETRY_AFTER_MAX_SECONDS))
    return delay


def settle(message, subscription, answer):
    """Record the attempt and move the message on; returns what the tasks do next."""
    now = timezone.now()
    metrics.SUBSCRIPTION_ATTEMPTS.labels(answer.result).inc()
    metrics.SUBSCRIPTION_ATTEMPT_DURATION.observe(answer.duration)
    sent = Sent()
    with transaction.atomic():
        Attempt.objects.create(
            message_id=message.pk,
            attempted_at=now,
            succeeded=answer.delivered,
            status_code=answer.status_code,
            duration_ms=round(answer.duration * 1000, 3),
            response_body=answer.body,
            error=answer.error,
        )
        if answer.delivered:
            outcome = "delivered"
            Message.objects.filter(pk=message.pk).update(
                status=Message.Status.DELIVERED,
                delivered_at=now,
                locked_until=None,
                last_status_code=answer.status_code,
            )
            if subscription.failing_since is not None:  # as read a moment ago: most deliveries skip this write
                Subscription.objects.filter(pk=subscription.pk).update(failing_since=None)
        elif answer.status_code == GONE:
            # The endpoint says it is gone for good: stop at once; the message waits for a re-enable.
            outcome = "held"
            Message.objects.filter(pk=message.pk).update(
                locked_until=None, next_attempt_at=now, last_status_code=answer.status_code
            )
            disable(subscription, "The endpoint answered 410 Gone.")
        else:
            delay = retry_delay(message.attempts, answer)
            if delay is None:
                outcome = "failed"
                Message.objects.filter(pk=message.pk).update(
                    status=Message.Status.FAILED, locked_until=None, last_status_code=answer.status_code
                )
            else:
                outcome = "retrying"
                Message.objects.filter(pk=message.pk).update(
                    locked_until=None,
                    next_attempt_at=now + timedelta(seconds=delay),
                    last_status_code=answer.status_code,
                )
                sent.retry_in = delay
            if subscription.failing_since is None:
                Subscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(failing_since=now)
            _disable_when_failing_too_long(subscription.pk, now)
    metrics.SUBSCRIPTION_MESSAGES.labels(outcome).inc()
    recorder.count(Series.SUBSCRIPTION_MESSAGES, label=subscription.pk, outcome=outcome)
    if outcome in ("delivered", "failed") and message.lane:
        sent.next_ids = selectors.lane_heads(message.lane, subscription_id=subscription.pk)
    return sent


def disable(subscription, reason):
    Subscription.objects.filter(pk=subscription.pk, active=True).update(active=False, disabled_reason=reason[:255])
    logger.warning("subscription disabled", extra={"subscription": subscription.pk, "reason": reason})


def _disable_when_failing_too_long(subscription_id, now):
    hours = settings.SUBSCRIPTION_DISABLE_AFTER_HOURS
    subscription = Subscription.objects.get(pk=subscription_id)
    if (
        subscription.active
        and subscription.failing_since
        and now - subscription.failing_since >= timedelta(hours=hours)
    ):
        disable(subscription, f"Every message failed for {hours:g} hours.")
