"""What happens to a stored event: claimed by one worker, run through its handlers, retried, swept.

The handlers are registered in handlers.py; events reach the workers through
the outbox. The Celery tasks (tasks.py) call into this module, never the
other way round.
"""

import logging
import time
import traceback
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rollups import histograms, recorder
from rollups.models import Series

from . import handlers, metrics, signals
from .models import WebhookEvent
from .outbox import publish_events

logger = logging.getLogger(__name__)


def claim_event(event_id, received_at=None, now=None):
    """Atomically take an event for processing; None when someone else has it.

    One ``UPDATE … RETURNING`` decides and loads the row, so two workers
    handed the same event (a redelivered task, a sweep) never process it at
    the same time. An event stuck in ``processing`` past the timeout belonged
    to a dead worker and is taken over. ``received_at``, when known, is the
    event's day: the table is partitioned by it, and with it the update reads
    one day's key instead of planning and probing every day's.
    """
    now = now or timezone.now()
    abandoned_before = now - timedelta(seconds=settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS)
    on_its_day = " AND received_at = %s" if received_at is not None else ""
    claimed = WebhookEvent.objects.raw(
        f"UPDATE {WebhookEvent._meta.db_table} "
        "SET status = %s, processing_started_at = %s, next_attempt_at = NULL, attempts = attempts + 1 "
        f"WHERE id = %s{on_its_day} AND (status = %s OR (status = %s AND processing_started_at < %s)) "
        "RETURNING *",
        [
            WebhookEvent.Status.PROCESSING,
            now,
            event_id,
            *([received_at] if received_at is not None else []),
            WebhookEvent.Status.PENDING,
            WebhookEvent.Status.PROCESSING,
            abandoned_before,
        ],
    )
    return next(iter(claimed), None)


def retry_delay(attempts):
    """Seconds before attempt ``attempts + 1``: exponential, capped."""
    return min(
        settings.WEBHOOK_PROCESSING_RETRY_BACKOFF**attempts,
        settings.WEBHOOK_PROCESSING_RETRY_BACKOFF_MAX,
    )


def process_event(event_id, received_at=None):
    """Run an event through its handlers; return seconds until a retry, or None.

    The handlers' writes and the ``processed`` mark commit in one transaction:
    a crash in between leaves the event to be processed again, never half-done.
    """
    event = claim_event(event_id, received_at)
    if event is None:
        return None
    event_label = metrics.event_label(event.event)
    event_handlers = handlers.handlers_for(event.event, event.action)
    # By its day too: the table is partitioned by received_at, so this reads one day's key, not every day's.
    this_event = WebhookEvent.objects.filter(pk=event.pk, received_at=event.received_at)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            for handler in event_handlers:
                handler(event)
            processed_at = timezone.now()
            this_event.update(status=WebhookEvent.Status.PROCESSED, processed_at=processed_at, last_error="")
            signals.event_processed.send(sender=WebhookEvent, event=event)
    except Exception as exc:
        final = event.attempts >= settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS
        metrics.WEBHOOK_EVENTS_FAILED.labels(event_label, str(final).lower()).inc()
        if event_handlers:
            metrics.REPOSITORY_SYNC.labels(event_label, "error").inc()
        error = "".join(traceback.format_exception(exc, limit=-5))[-4000:]
        if final:
            this_event.update(status=WebhookEvent.Status.FAILED, last_error=error)
            recorder.count(Series.PROCESSING, label=event_label, outcome=WebhookEvent.Status.FAILED)
            logger.error(
                "webhook event failed for good",
                extra={"delivery_id": event.delivery_id, "event": event.event, "attempts": event.attempts},
            )
            return None
        delay = retry_delay(event.attempts)
        this_event.update(
            status=WebhookEvent.Status.PENDING,
            last_error=error,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        logger.warning(
            "webhook event attempt failed, retrying",
            extra={"delivery_id": event.delivery_id, "event": event.event, "attempts": event.attempts},
        )
        return delay
    duration = time.perf_counter() - started
    lag = (processed_at - event.received_at).total_seconds()
    recorder.count(
        Series.PROCESSING,
        label=event_label,
        outcome=WebhookEvent.Status.PROCESSED,
        detail=histograms.bucket_label(lag, metrics.PROCESSING_LAG_BUCKETS),
    )
    metrics.WEBHOOK_EVENTS_PROCESSED.labels(event_label, metrics.action_label(event.event, event.action)).inc()
    metrics.WEBHOOK_PROCESSING_DURATION.labels(event_label).observe(duration)
    if event_handlers:
        metrics.REPOSITORY_SYNC.labels(event_label, "applied").inc()
        metrics.REPOSITORY_SYNC_DURATION.labels(event_label).observe(duration)
    return None


def sweep_pending_events(now=None, limit=10000):
    """Enqueue events nobody is working on: stored while the broker was down,
    due for a retry, or abandoned by a dead worker. Returns how many."""
    now = now or timezone.now()
    settled_before = now - timedelta(seconds=settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS)
    abandoned_before = now - timedelta(seconds=settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS)
    events = list(
        WebhookEvent.objects.filter(
            Q(
                status=WebhookEvent.Status.PENDING,
                received_at__lt=settled_before,
            )
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=settled_before))
            | Q(status=WebhookEvent.Status.PROCESSING, processing_started_at__lt=abandoned_before)
        )
        .order_by("received_at")
        .values_list("pk", "received_at")[:limit]
    )
    if events:
        publish_events(events)
        logger.info("sweep enqueued %d events", len(events))
    return len(events)


def reprocess_events(queryset):
    """Put events back to pending and enqueue them; returns how many."""
    events = list(queryset.values_list("pk", "received_at"))
    with transaction.atomic():
        WebhookEvent.objects.filter(pk__in=[event_id for event_id, _ in events]).update(
            status=WebhookEvent.Status.PENDING, attempts=0, next_attempt_at=None, processing_started_at=None
        )
        transaction.on_commit(partial(publish_events, events))
    return len(events)
