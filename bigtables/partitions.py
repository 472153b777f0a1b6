"""Tables partitioned by day on PostgreSQL: partitions made ahead, old days dropped whole, a live table converted.

Deleting millions of old rows is WAL-bound (about 11,000 rows/s here, with
bloat left behind); dropping a day's partition is a few catalog changes. A table
``T`` partitioned by day on a timestamp column has:

- ``T_YYYYMMDD``: one partition per UTC day, made ahead of time;
- ``T_default``: rows no day partition holds yet (a clock far off, a day not
  made). It is normally empty; making a day moves its rows there first;
- the archive, from ``MINVALUE`` up to the oldest day: after a live
  conversion the table as it was (``T_before_YYYYMMDD``), else ``T_archive``,
  made by the first day dropped. A day dropped leaves the rows it must keep
  there, and the archive's range grows by that day.

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

from django.db import DatabaseError, OperationalError, transaction
from django.db import connection as default_connection

from .operations import drop_if_invalid

logger = logging.getLogger(__name__)

DAY = timedelta(days=1)
LOCK_TIMEOUT = "2s"
_BOUND = re.compile(r"FOR VALUES FROM \((?P<start>[^)]*)\) TO \((?P<end>[^)]*)\)")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: MINVALUE (the table from before the conversion)
    end: datetime | None  # None: the default partition

    @property
    def is_default(self):
        return self.end is None


def is_partitioned(table, connection=default_connection):
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cursor.fetchone() is not None


def partitions(table, connection=default_connection):
    """The partitions of ``table``, oldest first, the default last."""
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
            found.append(Partition(name, None, None))
        else:
            found.append(Partition(name, _timestamp(match["start"]), _timestamp(match["end"])))
    return sorted(found, key=lambda p: (p.end is None, p.start or datetime.min.replace(tzinfo=UTC)))


def _timestamp(literal):
    literal = literal.strip("'")
    return None if literal == "MINVALUE" else datetime.fromisoformat(literal).astimezone(UTC)


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

    A day that overlaps an existing partition (the converted table's range) is
    left alone. Rows of a new day found in the default partition move into it.
    A day that cannot be made now (a lock not granted in time) is logged and
    left for the next run.
    """
    made = []
    day = day_start(first_day)
    while day <= last_day:
        try:
            if _make_day(table, column, day, day + DAY, connection):
                made.append(_day_name(table, day))
        except DatabaseError:
            logger.warning("could not make %s; retrying at the next run", _day_name(table, day), exc_info=True)
        day += DAY
    return made


def _make_day(table, column, start, end, connection):
    """A day's partition, built aside and attached: attaching blocks neither inserts nor reads of ``table``."""
    quote = connection.ops.quote_name
    name = _day_name(table, start)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        existing = partitions(table, connection)  # read under the lock: another run may have made it
        if any(not p.is_default and (p.start is None or p.start < end) and start < p.end for p in existing):
            return False
        _build_aside(cursor, table, column, name, start, end, quote)
        default = next((p.name for p in existing if p.is_default), None)
        if default:
            _take_from_default(cursor, default, name, _within(column, start, end, quote), quote)
        _attach(cursor, table, name, start, end, quote)
    return True


def drop_day(table, day, *, keep, before_drop=None, connection=default_connection):
    """Drop the oldest day partition whole; its rows matching the SQL condition ``keep`` move to the archive.

    The archive is the partition from ``MINVALUE`` up to the oldest day (the
    table from before a conversion, or made by the first drop), so days that
    went leave one partition behind, not one each. Returns how many rows went.

    The day is locked against writes (not reads) from the start, so no change
    to a kept row is lost. Its kept rows are first copied aside (the slow,
    random reads), and the archive given a validated CHECK up to the day's
    end (without blocking anyone). Then ``table`` is locked for what is left:
    the archive and the day detached, the copied rows added to the archive
    (with any of the default partition's in its new range), the archive
    attached again up to the day's end (its CHECK proves the range: nothing
    is read), in one transaction with ``before_drop``. The detached day is
    dropped after, outside any lock on ``table``.
    """
    quote = connection.ops.quote_name
    existing = partitions(table, connection)
    archive = next((p for p in existing if p.start is None and not p.is_default), None)
    default = next((p for p in existing if p.is_default), None)
    with connection.cursor() as cursor:
        column = _partition_column(cursor, table)
    bound = _range_check(table, day.end)
    if archive is not None:
        # Validated without blocking writers: the archive's rows are all older.
        with connection.cursor() as cursor, _waiting_briefly(cursor):
            _execute(
                cursor,
                f"ALTER TABLE {quote(archive.name)} DROP CONSTRAINT IF EXISTS {quote(bound)}",
                f"ALTER TABLE {quote(archive.name)} ADD CONSTRAINT {quote(bound)} "
                f"CHECK ({_within(column, None, day.end, quote)}) NOT VALID",
                f"ALTER TABLE {quote(archive.name)} VALIDATE CONSTRAINT {quote(bound)}",
            )
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
            for check in _checks(cursor, archive_name):
                if check.startswith(_range_check(table)) and check != bound:  # the range it had
                    _execute(cursor, f"ALTER TABLE {quote(archive_name)} DROP CONSTRAINT {quote(check)}")
        _execute(
            cursor,
            f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(day.name)}",
            f"INSERT INTO {quote(archive_name)} SELECT * FROM kept_rows",
        )
        if default is not None:
            _take_from_default(cursor, default.name, archive_name, _within(column, None, day.end, quote), quote)
        _attach(cursor, table, archive_name, None, day.end, quote)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        _execute(cursor, f"DROP TABLE {quote(day.name)}")
    return rows - kept


def _take_from_default(cursor, default, target, within, quote):
    """Move the default partition's rows ``within`` a range into ``target``, about to be attached for it.

    PostgreSQL refuses to attach a range whose rows sit in the default partition (a day made late).
    The default is locked until the attach, so none arrives there meanwhile.
    """
    _execute(
        cursor,
        f"LOCK TABLE {quote(default)} IN EXCLUSIVE MODE",
        f"WITH moved AS (DELETE FROM {quote(default)} WHERE {within} RETURNING *) "
        f"INSERT INTO {quote(target)} SELECT * FROM moved",
    )


def _range_check(table, end=None):
    """The name of the CHECK that proves a partition's range (up to ``end``); without ``end``, their prefix."""
    return f"{table[:40]}_range_" + (f"{end:%Y%m%d}" if end else "")


def _checks(cursor, table):
    cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'c'", [table])
    return [name for (name,) in cursor.fetchall()]


def _within(column, start, end, quote):
    """``start <= column < end``; no lower bound when ``start`` is None (MINVALUE)."""
    upper = f"{quote(column)} < {_literal(end)}"
    return upper if start is None else f"{quote(column)} >= {_literal(start)} AND {upper}"


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
        f"ALTER TABLE {quote(name)} ADD CONSTRAINT {quote(_range_check(table, end))} "
        f"CHECK ({_within(column, start, end, quote)})",
    )


def _attach(cursor, table, name, start, end, quote):
    lower = "MINVALUE" if start is None else _literal(start)
    _execute(
        cursor,
        f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(name)} FOR VALUES FROM ({lower}) TO ({_literal(end)})",
    )


def finish_interrupted_drops(table, connection=default_connection):
    """Drop what a ``drop_day`` stopped between its two transactions left: a day detached, not yet dropped."""
    quote = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _maintenance(cursor, table)
        attached = {p.name for p in partitions(table, connection)}
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace "
            "AND relname ~ %s",
            [rf"^{re.escape(table)}_\d{{8}}$"],
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

    An empty table is replaced at once. Otherwise, without blocking writers:
    the unique index ``(id, column)`` the new primary key needs is built
    concurrently, and a ``CHECK (column < boundary)`` is validated (the
    boundary two days ahead, so every insert meanwhile still passes it). Then
    one short transaction renames the table, makes the partitioned table with
    the same columns, indexes (same names) and identity, and attaches the old
    table as the partition before the boundary: attaching reuses its indexes
    and trusts its CHECK, so nothing is read or built under the lock. That
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
        _execute(cursor, f"CREATE TABLE {quote(table + '_default')} PARTITION OF {quote(table)} DEFAULT")


def _aside(index_name):
    return f"{index_name[:55]}_before"


def _on_table(definition, new_table, quote):
    """An index definition of the old table (pg_get_indexdef, taken before the rename) for the new one."""
    # pg_get_indexdef names the table as it was when read: "... ON public.webhook_events USING ...".
    return re.sub(r" ON (\S+\.)?\S+ USING ", f" ON {quote(new_table)} USING ", definition, count=1)
