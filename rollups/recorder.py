"""Counting into the rollups: in memory in each process, written in batches.

The receiver answers in milliseconds, so counting there must cost a dict
increment, not a database write. A process's counts reach the database at
most ``ROLLUP_FLUSH_SECONDS`` after the first of them, from a timer thread
armed only while something is waiting (0 writes them at once: the tests).
Each write adds to the rows (``count = count + excluded.count``), so any
number of processes on any number of hosts can write the same buckets. A
process killed outright loses at most those seconds of counts: they are the
dashboard's numbers, never the events themselves.
"""

import logging
import os
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction

from .models import RollupCount

logger = logging.getLogger(__name__)

# Every count goes to a minute bucket (short windows) and an hour bucket (long ones).
SPANS = (60, 3600)
_BATCH_ROWS = 500

_lock = threading.Lock()
_pending = Counter()  # (series, minute start, label, outcome, detail) -> n
_timer = None


def count(series, label="", outcome="", detail="", n=1):
    """Add ``n`` to this minute's count; never raises, never waits for the database."""
    minute = int(time.time()) // 60 * 60
    key = (series, minute, str(label)[:100], str(outcome)[:40], str(detail)[:40])
    with _lock:
        _pending[key] += n
        _arm_locked()
    if settings.ROLLUP_FLUSH_SECONDS <= 0:
        flush()


def flush():
    """Write what this process counted; returns how many counts were written."""
    with _lock:
        batch = dict(_pending)
        _pending.clear()
    if not batch:
        return 0
    rows = Counter()
    for (series, minute, label, outcome, detail), n in batch.items():
        for span in SPANS:
            rows[(series, span, minute - minute % span, label, outcome, detail)] += n
    try:
        _add(sorted(rows.items()))
    except DatabaseError:
        logger.warning("rollup counts not written; kept for the next flush", exc_info=True)
        with _lock:
            _pending.update(batch)
            _arm_locked()
        return 0
    return sum(batch.values())


def discard():
    """Forget unwritten counts (tests)."""
    with _lock:
        _pending.clear()


def _add(rows):
    # Sorted rows: concurrent writers lock the same keys in the same order (no deadlock).
    alias = router.db_for_write(RollupCount)
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(RollupCount._meta.db_table)
    columns = ("series", "span", "start", "label", "outcome", "detail")
    key = ", ".join(quote(column) for column in columns)
    n = quote("count")
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for first in range(0, len(rows), _BATCH_ROWS):
            chunk = rows[first : first + _BATCH_ROWS]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({key}, {n}) VALUES {values} "
                f"ON CONFLICT ({key}) DO UPDATE SET {n} = {table}.{n} + excluded.{n}",
                [value for row_key, count in chunk for value in (*row_key, count)],
            )


def _arm_locked():
    global _timer
    if _timer is None and _pending and settings.ROLLUP_FLUSH_SECONDS > 0:
        _timer = threading.Timer(settings.ROLLUP_FLUSH_SECONDS, _flush_from_timer)
        _timer.daemon = True
        _timer.start()


def _flush_from_timer():
    global _timer
    with _lock:
        _timer = None
    try:
        flush()
    finally:
        # The timer thread's own connection: none is kept open between flushes.
        connections.close_all()


def _after_fork_in_child():
    # A forked worker (Celery's pool) starts with its parent's counts, no timer thread, and
    # the lock as it was at the fork: held, if a parent's thread was counting.
    global _timer, _lock
    _lock = threading.Lock()
    _pending.clear()
    _timer = None


os.register_at_fork(after_in_child=_after_fork_in_child)
