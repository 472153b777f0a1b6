"""Keeping stored events for WEBHOOK_EVENT_RETENTION_DAYS: whole days dropped, receipts forgotten, days made ahead.

On PostgreSQL ``webhook_events`` is partitioned by day (bigtables.partitions):
a day older than the retention period is dropped whole, in one short
transaction, its failed events (and any still in flight) moved into the
archive partition below the oldest day. So retention is by whole days: an
event goes between RETENTION_DAYS and one day later. What is past the
cutoff outside the days — the archive (kept events reprocessed since, the
table from before ``partition_events``), SQLite (the embedded mode) — is
deleted in batches. The repository state built from events is never pruned.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from bigtables import partitions

from . import signals
from .models import DeliveryReceipt, WebhookEvent

logger = logging.getLogger(__name__)

EVENTS_TABLE = WebhookEvent._meta.db_table
PARTITION_COLUMN = "received_at"


def partition_events(*, only_if_empty=False, now=None, connection=connection):
    """Convert ``webhook_events`` to day partitions (PostgreSQL); False when there was nothing to do."""
    if connection.vendor != "postgresql" or partitions.is_partitioned(EVENTS_TABLE, connection):
        return False
    if only_if_empty:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {EVENTS_TABLE})")
            if cursor.fetchone()[0]:
                return False
    # Receipts for what processes of the previous version stored without one since migration 0007
    # (whose copy of the receipts is this same statement: a migration cannot import it).
    since = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_DEDUP_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DeliveryReceipt._meta.db_table} (delivery_id, received_at) "
            f"SELECT delivery_id, received_at FROM {EVENTS_TABLE} WHERE received_at >= %s "
            "ON CONFLICT (delivery_id) DO NOTHING",
            [since],
        )
    return partitions.convert(
        EVENTS_TABLE,
        PARTITION_COLUMN,
        days_ahead=settings.WEBHOOK_EVENT_PARTITIONS_AHEAD_DAYS,
        now=now or timezone.now(),
        connection=connection,
    )


def make_days_ahead(now=None):
    """The day partitions for today and WEBHOOK_EVENT_PARTITIONS_AHEAD_DAYS after; the names made."""
    if not partitions.is_partitioned(EVENTS_TABLE, connection):
        return []
    today = partitions.day_start(now or timezone.now())
    ahead = today + timedelta(days=settings.WEBHOOK_EVENT_PARTITIONS_AHEAD_DAYS)
    return partitions.make_days(EVENTS_TABLE, PARTITION_COLUMN, today, ahead, connection)


def prune_events(now=None, batch_size=None):
    """Remove processed and skipped events past the retention period; returns how many.

    Whole days first (PostgreSQL, partitioned); then, in batches, what is
    left past the cutoff outside day partitions. Receipts older than
    WEBHOOK_DELIVERY_DEDUP_DAYS go too.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    deleted = 0
    batch_cutoff = cutoff
    if partitions.is_partitioned(EVENTS_TABLE, connection):
        deleted += _drop_old_days(cutoff)
        # Rows past the cutoff in a day partition wait for their whole day; only the others go in batches.
        days = [p for p in partitions.partitions(EVENTS_TABLE, connection) if p.is_day]
        if days:
            batch_cutoff = min(cutoff, days[0].start)
    deleted += _delete_in_batches(batch_cutoff, batch_size or settings.WEBHOOK_PRUNE_BATCH_SIZE)
    _forget_receipts(now - timedelta(days=settings.WEBHOOK_DELIVERY_DEDUP_DAYS), batch_size)
    return deleted


DROP_PAUSE_FACTOR = 3

# What stays when an old day is dropped: what retention may not delete (failed, still in flight).
KEPT_STATUSES = [status for status in WebhookEvent.Status if status not in WebhookEvent.PRUNABLE_STATUSES]


def _drop_old_days(cutoff):
    """Drop each day wholly past the cutoff, oldest first, keeping its failed and in-flight events; rows removed."""
    partitions.finish_interrupted_drops(EVENTS_TABLE, connection)
    removed = 0
    for day in partitions.partitions(EVENTS_TABLE, connection):
        if not day.is_day or day.end > cutoff:
            continue  # the archive (pruned in batches), the future, and days not wholly past the cutoff
        going = WebhookEvent.objects.filter(
            received_at__gte=day.start, received_at__lt=day.end, status__in=WebhookEvent.PRUNABLE_STATUSES
        )
        started = time.monotonic()
        try:
            count = partitions.drop_day(
                EVENTS_TABLE,
                day,
                keep=f"status IN ({', '.join(repr(str(status)) for status in KEPT_STATUSES)})",
                before_drop=lambda going=going: signals.events_pruning.send(sender=WebhookEvent, events=going),
                connection=connection,
            )
        except DatabaseError:
            # A lock not granted in time (a long query on the table): the next run goes on from this day.
            logger.warning("could not drop %s; retrying at the next run", day.name, exc_info=True)
            break
        if count:
            removed += count
            logger.info("dropped %s (%d events)", day.name, count)
            # Catching up on many days (retention shortened, beat stopped for a while): a pause three
            # times as long as the drop keeps its disk reads and file deletes from crowding the
            # receiver's commits (each a WAL flush on the same disk): a quarter of the disk's time at
            # most (twice as long measured 0.76-0.82x the receiver's rate, under the aim's 0.8x).
            time.sleep(DROP_PAUSE_FACTOR * (time.monotonic() - started))
    return removed


def _delete_in_batches(cutoff, batch_size):
    """Delete prunable events received before ``cutoff``, oldest first, one short transaction a batch.

    The rows come, locked, from the (status, received_at) index; other apps'
    rows for them go first (``events_pruning``), then the events by primary
    key, without Django's collector loading every row (payloads) to delete it.
    """
    deleted = 0
    for status in WebhookEvent.PRUNABLE_STATUSES:
        old_events = WebhookEvent.objects.filter(status=status, received_at__lt=cutoff).order_by("received_at")
        while True:
            with transaction.atomic():
                # Read and locked in the transaction that deletes them: one reprocessed meanwhile no
                # longer matches. Rows locked elsewhere wait for the next run. A message a replay adds
                # for one meanwhile finds its event gone when sent, and is dropped then.
                doomed = list(old_events.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch_size])
                if not doomed:
                    break
                rows = WebhookEvent.objects.filter(pk__in=doomed)
                signals.events_pruning.send(sender=WebhookEvent, events=rows)
                # What QuerySet.delete() does for a model without cascades: one DELETE statement.
                deleted += rows._raw_delete(rows.db)
    return deleted


def _forget_receipts(before, batch_size=None):
    batch_size = batch_size or settings.WEBHOOK_PRUNE_BATCH_SIZE
    old = DeliveryReceipt.objects.filter(received_at__lt=before)
    while True:
        batch = old.filter(pk__in=list(old.values_list("pk", flat=True)[:batch_size]))
        if not batch._raw_delete(batch.db):
            return
