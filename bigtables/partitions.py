"""Tables partitioned by day on PostgreSQL: partitions made ahead, old days dropped whole, a live table converted.

Deleting millions of old rows is WAL-bound (about 11,000 rows/s here, with
bloat left behind); dropping a day's partition is a few catalog changes. A table
``T`` partitioned by day on a timestamp column has, in order:

- the archive, from ``MINVALUE`` up to the oldest day: after a live
  conversion the table as it was (``T_before_YYYYMMDD``), else ``T_archive``
  (empty on a new install: rows dated before it was partitioned land there).
  A day dropped leaves the rows it must keep there, and the archive's range
  grows by that day;
- ``T_YYYYMMDD``: one partition per UTC day, made ahead of time;
- ``T_future``: from the last day made up to ``MAXVALUE``, normally empty:
  a row dated after the days made (their maintenance stopped for a while, a
  clock far off) is kept there. Maintenance back, the future holding rows
  becomes one partition of several days (``T_YYYYMMDD_YYYYMMDD``), and a new
  future follows it.

So every row has a partition, and the ranges are ordered with nothing
overlapping: a query ordered by the column reads the partitions one after
the other and stops at its limit. (A DEFAULT partition would hold any row
too, but the planner could no longer order by partition, merging all of
them for every such page.)

The primary key of a partitioned table must include the partition column, so
it is ``(id, column)``: ``id`` stays unique through its identity sequence, but
no other table can hold a foreign key to it. DDL here runs with a
``lock_timeout``: it waits at most that long behind a long query (queued
behind it, the receiver's inserts would wait too), then gives up until the
next run. Other databases (SQLite, the embedded mode) are never partitioned.
"""

import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.db import connection as default_connection

from .operations import drop_if_invalid

logger = logging.getLogger(__name__)

DAY = timedelta(days=1)
LOCK_TIMEOUT = "2s"
_BOUND = re.compile(r"FOR VALUES FROM \((?P<start>[^)]*)\) TO \((?P<end>[^)]*)\)")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: MINVALUE (the archive)
    end: datetime | None  # None: MAXVALUE (the future)

    @property
    def is_day(self):
        return self.start is not None and self.end is not None

    def overlaps(self, start, end):
        return (self.start is None or self.start < end) and (self.end is None or start < self.end)


def is_partitioned(table, connection=default_connection):
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cursor.fetchone() is not None


def partitions(table, connection=default_connection):
    """The range partitions of ``table``, oldest first: the archive, the days, the future."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        match = _BOUND.search(bound)
        if match is None:
            raise DatabaseError(f"{table} has the DEFAULT partition {name}: replace_default first (migrate)")
        found.append(Partition(name, _timestamp(match["start"]), _timestamp(match["end"])))
    return sorted(found, key=lambda p: (p.start is not None, p.start or p.end))


def _timestamp(literal):
    literal = literal.strip("'")
    return None if literal in ("MINVALUE", "MAXVALUE") else datetime.fromisoformat(literal).astimezone(UTC)


def _literal(moment):
    return f"'{moment.astimezone(UTC).isoformat()}'::timestamptz"


def day_start(moment):
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _day_name(table, day):
    return f"{table}_{day:%Y%m%d}"


def _execute(cursor, *statements):
    for statement in statements:
        cursor.execute(statement)


@contextmanager
def _waiting_briefly(cursor):
    """Statements outside a transaction (CONCURRENTLY, VALIDATE) that still wait at most LOCK_TIMEOUT for a lock."""
    _execute(cursor, f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        yield
    finally:
        _execute(cursor, "RESET lock_timeout")


def _maintenance(cursor, table, lock_timeout=LOCK_TIMEOUT):
    """Opens every DDL transaction here: one at a time per table (beat and a command may overlap),
    never waiting long for a lock, and no parallel workers taking the receiver's cores."""
    _execute(
        cursor,
        f"SET LOCAL lock_timeout = '{lock_timeout}'",
        "SET LOCAL max_parallel_workers_per_gather = 0",
    )
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [table])


def make_days(table, column, first_day, last_day, connection=default_connection):
    """Make the day partitions from ``first_day`` to ``last_day`` that are missing; returns the names made.

    A day is cut from the start of the future (with any rows of it found
    there), or from the end of the archive while the archive holds no rows
    (a new install given past days: the benches, tests); a day inside another
    partition's range (the converted table's) is left alone. So the days
    from the future's start up to ``last_day`` are made in order, and those
    from the archive's end down to ``first_day``, latest first. A day that
    cannot be made now (a lock not granted in time) is logged and left, with
    the days beyond it, for the next run. A future found holding rows is
    first made their partition, not cut (``_hand_over_future``).
    """
    first_day, last_day = day_start(first_day), day_start(last_day)
    existing = partitions(table, connection)
    future = next((p for p in existing if p.end is None), None)
    cut_future = True
    if future is not None and future.start <= last_day:
        try:
            if _hand_over_future(table, future, connection):
                existing = partitions(table, connection)
        except IntegrityError:
            pass  # rows past the boundary (a clock far off): the days are cut from it one by one
        except DatabaseError:
            # Not now (a lock not granted in time); cutting days from it meanwhile would move its rows.
            logger.warning("could not hand over %s; retrying at the next run", future.name, exc_info=True)
            cut_future = False
    archive_end = next((p.end for p in existing if p.start is None), None)
    future_start = next((p.start for p in existing if p.end is None), None)
    down = _days(first_day, archive_end - DAY, reverse=True) if archive_end else []
    lowest = max(first_day, archive_end) if archive_end else first_day
    up = _days(min(lowest, future_start) if future_start else lowest, last_day)
    made = []
    for run in (down, up if cut_future else []):
        for day in run:
            try:
                made_now = _make_day(table, column, day, day + DAY, connection)
            except DatabaseError:
                logger.warning("could not make %s; retrying at the next run", _day_name(table, day), exc_info=True)
                break
            if made_now:
                made.append(_day_name(table, day))
            elif run is down:
                break  # the archive holds rows: no day below this one can be cut either
    return made


def _hand_over_future(table, future, connection):
    """When the future holds rows (days not made for a while), it becomes their partition; True if it did.

    Cutting days from it would move those rows with ``table`` locked: a
    day's worth of deliveries, every insert waiting. Instead its range ends
    at a boundary (the day after tomorrow: every insert meanwhile is before
    it), proved by a CHECK validated without blocking writers; then one
    short transaction detaches it, renames it ``T_YYYYMMDD_YYYYMMDD`` and
    attaches it for [its start, the boundary), nothing read, with a new,
    empty future from the boundary. Retention drops it whole once all of it
    is past the cutoff. A future holding rows at or past the boundary (a
    clock far off) is left to be cut day by day.
    """
    quote = connection.ops.quote_name
    boundary = day_start(datetime.now(UTC)) + 2 * DAY
    if boundary <= future.start:
        return False
    with connection.cursor() as cursor:
        column = _partition_column(cursor, table)
        # Rows to keep, and none a CHECK would refuse: it applies to inserts from the moment it is
        # added (the receiver's are dated now, never past the boundary).
        if not _has_rows(cursor, future.name, column, quote) or _has_rows(
            cursor, future.name, column, quote, since=boundary
        ):
            return False
    check = _range_check(table, future.start, boundary)
    try:
        _add_range_check_online(connection, table, column, future.name, future.start, boundary)
        name = f"{table}_{future.start:%Y%m%d}_{boundary:%Y%m%d}"
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            _maintenance(cursor, table)
            if future not in partitions(table, connection):  # another run handed it over meanwhile
                return False
            _execute(cursor, f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(future.name)}")
            _drop_range_checks(cursor, table, future.name, quote, but=check)
            _execute(cursor, f"ALTER TABLE {quote(future.name)} RENAME TO {quote(name)}")
            _attach(cursor, table, name, future.start, boundary, quote)
            _execute(cursor, _new_partition(table, future.name, boundary, None, quote))
    except DatabaseError:
        with connection.cursor() as cursor:
            _execute(cursor, f"ALTER TABLE IF EXISTS {quote(future.name)} DROP CONSTRAINT IF EXISTS {quote(check)}")
        raise
    logger.info("the rows of %s from %s on are kept in %s", table, future.start.date(), name)
    return True


def _days(first, last, *, reverse=False):
    days = [first + n * DAY for n in range((last - first) // DAY + 1)] if first <= last else []
    return days[::-1] if reverse else days


def _make_day(table, column, start, end, connection):
    """A day's partition, built aside and attached, or cut from the archive or the future; False when left alone.

    Attaching a day into a gap blocks neither inserts nor reads of ``table``.
    Cutting one detaches the archive or the future, so ``table`` is locked
    for that transaction: a few catalog changes, the rows of the day moved
    from the future (normally none), the rest of its range checked.
    """
    quote = connection.ops.quote_name
    name = _day_name(table, start)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        existing = partitions(table, connection)  # read under the lock: another run may have made it
        covering = [p for p in existing if p.overlaps(start, end)]
        if not covering:
            _build_aside(cursor, table, column, name, start, end, quote)
            _attach(cursor, table, name, start, end, quote)
            return True
        if len(covering) > 1:
            return False
        (cut_from,) = covering
        if cut_from.end is None and cut_from.start == start:
            rest = (end, None)
        elif cut_from.start is None and cut_from.end == end and not _has_rows(cursor, cut_from.name, column, quote):
            rest = (None, start)
        else:
            return False
        _build_aside(cursor, table, column, name, start, end, quote)
        _execute(
            cursor,
            f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(cut_from.name)}",
            f"WITH moved AS (DELETE FROM {quote(cut_from.name)} WHERE {_within(column, start, end, quote)} "
            f"RETURNING *) INSERT INTO {quote(name)} SELECT * FROM moved",
        )
        _replace_range_check(cursor, table, column, cut_from.name, *rest, quote)
        _attach(cursor, table, name, start, end, quote)
        _attach(cursor, table, cut_from.name, *rest, quote)
    return True


def _has_rows(cursor, name, column, quote, *, since=None):
    # The latest row by the column's index: a scan from the table's start could first read the
    # dead rows retention left there (a converted table pruned in batches).
    where = "" if since is None else f" WHERE {_within(column, since, None, quote)}"
    cursor.execute(f"SELECT 1 FROM {quote(name)}{where} ORDER BY {quote(column)} DESC LIMIT 1")
    return cursor.fetchone() is not None


def drop_day(table, day, *, keep, before_drop=None, connection=default_connection):
    """Drop the oldest day partition whole; its rows matching the SQL condition ``keep`` move to the archive.

    The archive is the partition from ``MINVALUE`` up to the oldest day (the
    table from before a conversion, or made by the first drop), so days that
    went leave one partition behind, not one each. Returns how many rows went.

    The day is locked against writes (not reads) from the start, so no change
    to a kept row is lost. Its kept rows are first copied aside (the slow,
    random reads), and the archive given a validated CHECK up to the day's
    end (without blocking anyone). Then ``table`` is locked for what is left:
    the archive and the day detached, the copied rows added to the archive,
    the archive attached again up to the day's end (its CHECK proves the
    range: nothing is read), in one transaction with ``before_drop``. The
    detached day is dropped after, outside any lock on ``table``.
    """
    quote = connection.ops.quote_name
    existing = partitions(table, connection)
    archive = next((p for p in existing if p.start is None), None)
    with connection.cursor() as cursor:
        column = _partition_column(cursor, table)
    bound = _range_check(table, None, day.end)
    if archive is not None:
        # Validated without blocking writers: the archive's rows are all older.
        _add_range_check_online(connection, table, column, archive.name, None, day.end)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        _execute(cursor, f"LOCK TABLE {quote(day.name)} IN EXCLUSIVE MODE")
        # From the key's index, not by reading every row.
        cursor.execute(f"SELECT count(*) FROM {quote(day.name)}")
        rows = cursor.fetchone()[0]
        if before_drop:
            before_drop()
        _execute(cursor, "DROP TABLE IF EXISTS pg_temp.kept_rows")  # one made earlier in an enclosing transaction
        cursor.execute(
            f"CREATE TEMPORARY TABLE kept_rows ON COMMIT DROP AS SELECT * FROM {quote(day.name)} WHERE {keep}"
        )
        kept = cursor.rowcount
        if archive is None:
            archive_name = f"{table}_archive"
            _build_aside(cursor, table, column, archive_name, None, day.end, quote)
        else:
            archive_name = archive.name
            _execute(cursor, f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(archive_name)}")
            _drop_range_checks(cursor, table, archive_name, quote, but=bound)
        _execute(
            cursor,
            f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(day.name)}",
            f"INSERT INTO {quote(archive_name)} SELECT * FROM kept_rows",
        )
        _attach(cursor, table, archive_name, None, day.end, quote)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        _execute(cursor, f"DROP TABLE {quote(day.name)}")
    return rows - kept


def _range_check(table, start=None, end=None, *, prefix=False):
    """The name of the CHECK proving a partition's range [start, end); with ``prefix``, what all of them start with."""
    name = f"{table[:36]}_range_"
    if prefix:
        return name
    return name + (f"{start:%Y%m%d}" if start else "min") + "_" + (f"{end:%Y%m%d}" if end else "max")


def _add_range_check(cursor, table, column, name, start, end, quote):
    check = quote(_range_check(table, start, end))
    _execute(
        cursor,
        f"ALTER TABLE {quote(name)} DROP CONSTRAINT IF EXISTS {check}",
        f"ALTER TABLE {quote(name)} ADD CONSTRAINT {check} CHECK ({_within(column, start, end, quote)})",
    )


def _add_range_check_online(connection, table, column, name, start, end):
    """The range CHECK on an attached partition, validated without blocking its writers (outside a transaction).

    From the moment it is added it refuses inserts outside the range: callers make sure none come.
    """
    quote = connection.ops.quote_name
    check = quote(_range_check(table, start, end))
    with connection.cursor() as cursor, _waiting_briefly(cursor):
        _execute(
            cursor,
            f"ALTER TABLE {quote(name)} DROP CONSTRAINT IF EXISTS {check}",
            f"ALTER TABLE {quote(name)} ADD CONSTRAINT {check} CHECK ({_within(column, start, end, quote)}) NOT VALID",
            f"ALTER TABLE {quote(name)} VALIDATE CONSTRAINT {check}",
        )


def _drop_range_checks(cursor, table, name, quote, *, but=None):
    """Drop the range CHECKs a partition had (detached now, to be attached with another range)."""
    cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'c'", [name])
    # The previous version's names began with table[:40]: the same for tables of up to 36 characters.
    prefixes = (_range_check(table, prefix=True), f"{table[:40]}_range_")
    for (check,) in cursor.fetchall():
        if check.startswith(prefixes) and check != but:
            _execute(cursor, f"ALTER TABLE {quote(name)} DROP CONSTRAINT {quote(check)}")


def _replace_range_check(cursor, table, column, name, start, end, quote):
    _drop_range_checks(cursor, table, name, quote)
    _add_range_check(cursor, table, column, name, start, end, quote)


def _within(column, start, end, quote):
    """``start <= column < end``; no lower bound when ``start`` is None (MINVALUE), no upper when ``end`` is."""
    bounds = ([] if start is None else [f"{quote(column)} >= {_literal(start)}"]) + (
        [] if end is None else [f"{quote(column)} < {_literal(end)}"]
    )
    return " AND ".join(bounds)


def _build_aside(cursor, table, column, name, start, end, quote):
    """A table shaped like a partition of ``table`` for [start, end): its columns, indexes, primary key and a CHECK.

    With all of them in place, attaching it builds no index, and reads none
    of its rows (the CHECK proves the range), so attaching is a catalog change.
    """
    cursor.execute("SELECT relispartition FROM pg_class WHERE oid = to_regclass(%s)", [name])
    found = cursor.fetchone()
    if found and found[0]:
        raise DatabaseError(f"{name} is a partition of {table} already")
    _execute(
        cursor,
        f"DROP TABLE IF EXISTS {quote(name)}",  # left by an interrupted run, never attached
        f"CREATE TABLE {quote(name)} (LIKE {quote(table)} INCLUDING DEFAULTS)",
        *_index_copies(cursor, table, name, quote),
    )
    _add_range_check(cursor, table, column, name, start, end, quote)


def _attach(cursor, table, name, start, end, quote):
    _execute(cursor, f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(name)} FOR VALUES {_bounds(start, end)}")


def _bounds(start, end):
    lower = "MINVALUE" if start is None else _literal(start)
    upper = "MAXVALUE" if end is None else _literal(end)
    return f"FROM ({lower}) TO ({upper})"


def replace_default(table, connection=default_connection):
    """Replace the DEFAULT partition an earlier version gave ``table`` by the archive and the future; False if none.

    A missing day between two others (a run that could not make it) is made,
    and the default's rows, normally none, go to their partitions: one short
    transaction that locks the table, tried SWAP_ATTEMPTS times.
    """
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            return _replace_default(table, connection)
        except OperationalError:  # the lock not granted in time, behind a long query
            if attempt == SWAP_ATTEMPTS:
                raise
            time.sleep(1)


def _replace_default(table, connection):
    quote = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'",
            [table],
        )
        found = cursor.fetchone()
        if found is None:
            return False
        default = found[0]
        _execute(cursor, f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(default)}")
        existing = partitions(table, connection)
        statements = []
        if not existing:
            today = day_start(datetime.now(UTC))
            statements.append(_new_partition(table, f"{table}_archive", None, today, quote))
            statements.append(_new_partition(table, f"{table}_future", today, None, quote))
        else:
            if existing[0].start is not None:
                statements.append(_new_partition(table, f"{table}_archive", None, existing[0].start, quote))
            for before, after in zip(existing, existing[1:], strict=False):
                day = before.end
                while day < after.start:
                    statements.append(_new_partition(table, _day_name(table, day), day, day + DAY, quote))
                    day += DAY
            if existing[-1].end is not None:
                statements.append(_new_partition(table, f"{table}_future", existing[-1].end, None, quote))
        _execute(
            cursor,
            *statements,
            f"INSERT INTO {quote(table)} SELECT * FROM {quote(default)}",
            f"DROP TABLE {quote(default)}",
        )
    return True


def finish_interrupted_drops(table, connection=default_connection):
    """Drop what a ``drop_day`` stopped between its two transactions left: a day detached, not yet dropped."""
    quote = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        attached = {p.name for p in partitions(table, connection)}
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace "
            "AND relname ~ %s",
            [rf"^{re.escape(table)}_\d{{8}}(_\d{{8}})?$"],
        )
        for (name,) in cursor.fetchall():
            if name not in attached:
                _execute(cursor, f"DROP TABLE {quote(name)}")


def _partition_column(cursor, table):
    cursor.execute(
        "SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a "
        "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] WHERE p.partrelid = to_regclass(%s)",
        [table],
    )
    return cursor.fetchone()[0]


def _index_copies(cursor, table, target, quote):
    """The statements giving ``target`` the indexes and primary key of ``table`` (so attaching builds none).

    The names are PostgreSQL's choice: unique, whatever an earlier copy of the same day left.
    """
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid), i.indisprimary, "
        "(SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY "
        "k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) "
        "FROM pg_index i WHERE i.indrelid = to_regclass(%s)",
        [table],
    )
    statements = []
    for definition, is_primary, columns in cursor.fetchall():
        if is_primary:
            statements.append(f"ALTER TABLE {quote(target)} ADD PRIMARY KEY ({columns})")
        else:
            # "CREATE INDEX name ON ONLY public.table USING …" → "CREATE INDEX ON target USING …"
            statements.append(
                re.sub(r" INDEX \S+ ON (ONLY )?\S+ USING ", f" INDEX ON {quote(target)} USING ", definition, count=1)
            )
    return statements


# --- Converting a live table ----------------------------------------------------------------


SWAP_ATTEMPTS = 5


class _RowsArrived(Exception):
    """The table looked empty, but rows came before it was locked: it is converted as a live one."""


def convert(table, column, *, days_ahead, now, connection=default_connection):
    """Make ``table`` partitioned by day on ``column``, keeping its rows, while it keeps taking inserts.

    An empty table is replaced at once, by an empty archive before today and
    the future from today. Otherwise, without blocking writers:
    the unique index ``(id, column)`` the new primary key needs is built
    concurrently, and a ``CHECK (column < boundary)`` is validated (the
    boundary two days ahead, so every insert meanwhile still passes it). Then
    one short transaction renames the table, makes the partitioned table with
    the same columns, indexes (same names) and identity, attaches the old
    table as the partition before the boundary (attaching reuses its indexes
    and trusts its CHECK, so nothing is read or built under the lock), and
    makes the future after it. That
    transaction waits at most 2 s for its lock, and is tried SWAP_ATTEMPTS
    times; if it never gets it, the CHECK is removed again (left, it would
    refuse every insert from the boundary on) and the error raised.
    """
    if is_partitioned(table, connection):
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE confrelid = to_regclass(%s) AND contype = 'f'", [table])
        references = [row[0] for row in cursor.fetchall()]
        if references:
            raise RuntimeError(f"{table} is referenced by foreign keys {references}: drop them first")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")
        empty = not cursor.fetchone()[0]
    boundary = day_start(now) + 2 * DAY
    names = _ConversionNames(table, column, boundary)
    try:
        if not empty:
            _prepare_live(names, connection)
        for attempt in range(1, SWAP_ATTEMPTS + 1):
            try:
                _swap(names, empty, connection)
                break
            except _RowsArrived:
                empty = False
                _prepare_live(names, connection)
            except OperationalError:  # the lock not granted in time
                if attempt == SWAP_ATTEMPTS:
                    raise
                time.sleep(1)
    except Exception:
        if not empty:
            _drop_check(names, connection)
        raise
    make_days(table, column, day_start(now), day_start(now) + days_ahead * DAY, connection)
    return True


@dataclass(frozen=True)
class _ConversionNames:
    table: str
    column: str
    boundary: datetime

    @property
    def legacy(self):
        return f"{self.table}_before_{self.boundary:%Y%m%d}"

    @property
    def key_index(self):
        return f"{self.table}_id_{self.column}_key"

    @property
    def check(self):
        return f"{self.table}_before_partitions"


def _prepare_live(names, connection):
    """The new key's index and the validated CHECK, built while the table keeps taking inserts."""
    quote = connection.ops.quote_name
    table, column = quote(names.table), quote(names.column)
    drop_if_invalid(connection, names.key_index)  # left by an interrupted run
    with connection.cursor() as cursor, _waiting_briefly(cursor):
        _execute(
            cursor,
            f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {quote(names.key_index)} ON {table} (id, {column})",
            f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {quote(names.check)}",
            f"ALTER TABLE {table} ADD CONSTRAINT {quote(names.check)} "
            f"CHECK ({column} IS NOT NULL AND {column} < {_literal(names.boundary)}) NOT VALID",
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {quote(names.check)}",
        )


def _drop_check(names, connection):
    quote = connection.ops.quote_name
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            _maintenance(cursor, names.table, lock_timeout="30s")
            _execute(cursor, f"ALTER TABLE {quote(names.table)} DROP CONSTRAINT IF EXISTS {quote(names.check)}")
    except DatabaseError:
        logger.critical(
            "%s keeps CHECK %s: drop it before %s, or every insert after that is refused",
            names.table,
            names.check,
            names.boundary.isoformat(),
            exc_info=True,
        )


def _swap(names, empty, connection):
    """The one transaction that locks the table: renamed aside, replaced by the partitioned table."""
    quote = connection.ops.quote_name
    table, legacy = names.table, names.legacy
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        _execute(cursor, f"LOCK TABLE {quote(table)} IN ACCESS EXCLUSIVE MODE")
        if empty:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")
            if cursor.fetchone()[0]:
                raise _RowsArrived
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(%s)",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            f"SELECT pg_get_serial_sequence(%s, 'id'), (SELECT coalesce(max(id), 0) FROM {quote(table)})", [table]
        )
        sequence, max_id = cursor.fetchone()
        cursor.execute(f"SELECT last_value FROM {sequence}")
        next_id = max(cursor.fetchone()[0], max_id) + 1
        # The partitioned table's own indexes keep the names migrations know; the old ones move aside.
        plain = [(name, definition) for name, definition, primary, unique in indexes if not (primary or unique)]
        _execute(cursor, f"ALTER TABLE {quote(table)} ALTER COLUMN id DROP IDENTITY")
        _execute(cursor, *(f"ALTER INDEX {quote(name)} RENAME TO {quote(_aside(name))}" for name, _ in plain))
        primary = next(name for name, _, is_primary, _ in indexes if is_primary)
        _execute(
            cursor,
            f"ALTER TABLE {quote(table)} RENAME TO {quote(legacy)}",
            f"CREATE TABLE {quote(table)} (LIKE {quote(legacy)} INCLUDING DEFAULTS) "
            f"PARTITION BY RANGE ({quote(names.column)})",
            f"ALTER TABLE {quote(table)} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {next_id})",
            f"ALTER TABLE {quote(legacy)} DROP CONSTRAINT {quote(primary)}",
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(primary)} PRIMARY KEY (id, {quote(names.column)})",
            *(_on_table(definition, table, quote) for _, definition in plain),
        )
        if empty:
            _execute(cursor, f"DROP TABLE {quote(legacy)}")
        else:
            # Its other unique keys (delivery ids, now kept elsewhere) a partitioned table cannot
            # keep: left on the old table they would only be written. Dropping one is instant.
            for name, _, is_primary, is_unique in indexes:
                if is_unique and not is_primary and name != names.key_index:
                    _execute(
                        cursor,
                        f"ALTER TABLE {quote(legacy)} DROP CONSTRAINT IF EXISTS {quote(name)}",
                        f"DROP INDEX IF EXISTS {quote(name)}",
                    )
            _execute(
                cursor,
                f"ALTER TABLE {quote(legacy)} ADD CONSTRAINT {quote(legacy + '_pkey')} "
                f"PRIMARY KEY USING INDEX {quote(names.key_index)}",
                f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(legacy)} "
                f"FOR VALUES FROM (MINVALUE) TO ({_literal(names.boundary)})",
                f"ALTER TABLE {quote(legacy)} DROP CONSTRAINT {quote(names.check)}",
            )
        # Every row a partition: the archive below the days, the future above them.
        start_of_days = names.boundary - 2 * DAY if empty else names.boundary
        if empty:
            _execute(cursor, _new_partition(table, f"{table}_archive", None, start_of_days, quote))
        _execute(cursor, _new_partition(table, f"{table}_future", start_of_days, None, quote))


def _new_partition(table, name, start, end, quote):
    """A new, empty partition (in a transaction that has ``table`` locked already)."""
    return f"CREATE TABLE {quote(name)} PARTITION OF {quote(table)} FOR VALUES {_bounds(start, end)}"


def _aside(index_name):
    return f"{index_name[:55]}_before"


def _on_table(definition, new_table, quote):
    """An index definition of the old table (pg_get_indexdef, taken before the rename) for the new one."""
    # pg_get_indexdef names the table as it was when read: "... ON public.webhook_events USING ...".
    return re.sub(r" ON (\S+\.)?\S+ USING ", f" ON {quote(new_table)} USING ", definition, count=1)
