"""Index migrations a live database can take: CREATE/DROP INDEX CONCURRENTLY on PostgreSQL.

A plain CREATE INDEX locks the table against writes for as long as it reads
every row (minutes at ten million events, with GitHub's deliveries refused
meanwhile); CONCURRENTLY does not. Other databases (SQLite, the embedded
mode) build the index as usual. Migrations using these set ``atomic = False``.
"""

import logging

from django.db import DatabaseError, migrations

logger = logging.getLogger(__name__)


def _concurrently(schema_editor):
    """The schema editor's arguments for building or dropping an index without blocking writers."""
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def drop_if_invalid(connection, name):
    """Drop what an interrupted CREATE INDEX CONCURRENTLY left: an INVALID index (never used, still written)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {connection.ops.quote_name(name)}")


class AddIndexConcurrently(migrations.AddIndex):
    """``AddIndex`` built concurrently on PostgreSQL, as ``postgresql_sql`` when given (an opclass Django can't say)."""

    def __init__(self, model_name, index, postgresql_sql=None):
        super().__init__(model_name, index)
        self.postgresql_sql = postgresql_sql

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        if self.postgresql_sql:
            kwargs["postgresql_sql"] = self.postgresql_sql
        return name, args, kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor != "postgresql":
            schema_editor.add_index(model, self.index)
            return
        drop_if_invalid(schema_editor.connection, self.index.name)
        if self.postgresql_sql:
            schema_editor.execute(self.postgresql_sql)
        else:
            schema_editor.add_index(model, self.index, **_concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **_concurrently(schema_editor))


class RemoveIndexConcurrently(migrations.RemoveIndex):
    """``RemoveIndex``, dropped concurrently on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        schema_editor.remove_index(model, index, **_concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        schema_editor.add_index(model, index, **_concurrently(schema_editor))


class TrigramIndexIfAvailable(migrations.operations.base.Operation):
    """A GIN trigram index on ``UPPER(column)``: Django's ``icontains`` on PostgreSQL then reads the index.

    PostgreSQL only, and only where this role may create the ``pg_trgm``
    extension (trusted since PostgreSQL 13: a database owner may); otherwise
    nothing is created and the search reads the table, as before. The index is
    not part of the models' state: it serves a lookup, not a constraint.
    """

    reversible = True

    def __init__(self, table, column, name):
        self.table, self.column, self.name = table, column, name

    def deconstruct(self):
        return self.__class__.__name__, [], {"table": self.table, "column": self.column, "name": self.name}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            logger.warning("pg_trgm not available: %s searches read the table", self.table)
            return
        quote = connection.ops.quote_name
        drop_if_invalid(schema_editor.connection, self.name)
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(self.name)} ON {quote(self.table)} "
            f"USING gin (UPPER({quote(self.column)}::text) gin_trgm_ops)"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.connection.ops.quote_name(self.name)}"
            )

    def describe(self):
        return f"Trigram index {self.name} on {self.table}.{self.column} (PostgreSQL, where pg_trgm may be created)"
