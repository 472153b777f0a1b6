"""What happens to a stored event: claimed by one worker, run through its handlers, retried, swept, pruned.

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


def claim_event(event_id, now=None):
    """Atomically take an event for processing; None when someone else has it.

    One ``UPDATE … RETURNING`` decides and loads the row, so two workers
    handed the same event (a redelivered task, a sweep) never process it at
    the same time. An event stuck in ``processing`` past the timeout belonged
    to a dead worker and is taken over.
    """
    now = now or timezone.now()
    abandoned_before = now - timedelta(seconds=settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS)
    claimed = WebhookEvent.objects.raw(
        f"UPDATE {WebhookEvent._meta.db_table} "
        "SET status = %s, processing_started_at = %s, next_attempt_at = NULL, attempts = attempts + 1 "
        "WHERE id = %s AND (status = %s OR (status = %s AND processing_started_at < %s)) "
        "RETURNING *",
        [
            WebhookEvent.Status.PROCESSING,
            now,
            event_id,
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


def process_event(event_id):
    """Run an event through its handlers; return seconds until a retry, or None.

    The handlers' writes and the ``processed`` mark commit in one transaction:
    a crash in between leaves the event to be processed again, never half-done.
    """
    event = claim_event(event_id)
    if event is None:
        return None
    event_label = metrics.event_label(event.event)
    event_handlers = handlers.handlers_for(event.event, event.action)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            for handler in event_handlers:
                handler(event)
            processed_at = timezone.now()
            WebhookEvent.objects.filter(pk=event.pk).update(
                status=WebhookEvent.Status.PROCESSED, processed_at=processed_at, last_error=""
            )
            signals.event_processed.send(sender=WebhookEvent, event=event)
    except Exception as exc:
        final = event.attempts >= settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS
        metrics.WEBHOOK_EVENTS_FAILED.labels(event_label, str(final).lower()).inc()
        if event_handlers:
            metrics.REPOSITORY_SYNC.labels(event_label, "error").inc()
        error = "".join(traceback.format_exception(exc, limit=-5))[-4000:]
        if final:
            WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.FAILED, last_error=error)
            recorder.count(Series.PROCESSING, label=event_label, outcome=WebhookEvent.Status.FAILED)
            logger.error(
                "webhook event failed for good",
                extra={"delivery_id": event.delivery_id, "event": event.event, "attempts": event.attempts},
            )
            return None
        delay = retry_delay(event.attempts)
        WebhookEvent.objects.filter(pk=event.pk).update(
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
    event_ids = list(
        WebhookEvent.objects.filter(
            Q(
                status=WebhookEvent.Status.PENDING,
                received_at__lt=settled_before,
            )
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=settled_before))
            | Q(status=WebhookEvent.Status.PROCESSING, processing_started_at__lt=abandoned_before)
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    if event_ids:
        publish_events(event_ids)
        logger.info("sweep enqueued %d events", len(event_ids))
    return len(event_ids)


def reprocess_events(queryset):
    """Put events back to pending and enqueue them; returns how many."""
    event_ids = list(queryset.values_list("pk", flat=True))
    with transaction.atomic():
        WebhookEvent.objects.filter(pk__in=event_ids).update(
            status=WebhookEvent.Status.PENDING, attempts=0, next_attempt_at=None, processing_started_at=None
        )
        transaction.on_commit(partial(publish_events, event_ids))
    return len(event_ids)


def prune_events(now=None, batch_size=None):
    """Delete processed and skipped events past the retention period, oldest first, in batches.

    Failed events stay until staff reprocess or delete them; the repository
    state built from events is never pruned. Each batch is one short
    transaction (the receiver's inserts never wait long on it): the rows come,
    locked, from the (status, received_at) index, other apps' rows for them go first
    (``events_pruning``), then the events by primary key, without Django's
    collector loading every row (payloads) to delete it.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.WEBHOOK_PRUNE_BATCH_SIZE
    cutoff = now - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    deleted = 0
    for status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.SKIPPED):
        old_events = WebhookEvent.objects.filter(status=status, received_at__lt=cutoff).order_by("received_at")
        while True:
            with transaction.atomic():
                # Read and locked in the transaction that deletes them: one reprocessed meanwhile no
                # longer matches, and no message can be added for one while it goes (the insert
                # waits for the lock, then finds it gone). Rows locked elsewhere wait for the next run.
                doomed = list(old_events.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch_size])
                if not doomed:
                    break
                signals.events_pruning.send(sender=WebhookEvent, event_ids=doomed)
                rows = WebhookEvent.objects.filter(pk__in=doomed)
                # What QuerySet.delete() does for a model without cascades: one DELETE statement.
                deleted += rows._raw_delete(rows.db)
    return deleted
