"""Delivery ids kept unique in their own table, so the events table can be partitioned by day.

The receipts of the last WEBHOOK_DELIVERY_DEDUP_DAYS are copied from the
events. On PostgreSQL the events' unique constraint stays until ``manage.py
partition_events`` (processes still running the previous version rely on it
while this deploy rolls out); elsewhere it goes now. An empty events table
is partitioned at once (0008).
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from bigtables.operations import AddIndexConcurrently


def copy_recent_receipts(apps, schema_editor):
    # The same statement as webhooks.retention.partition_events' (run again there, for what the
    # previous version stored after this).
    since = timezone.now() - timedelta(days=settings.WEBHOOK_DELIVERY_DEDUP_DAYS)
    schema_editor.execute(
        "INSERT INTO webhook_delivery_receipts (delivery_id, received_at) "
        "SELECT delivery_id, received_at FROM webhook_events WHERE received_at >= %s "
        "ON CONFLICT (delivery_id) DO NOTHING",
        [since],
    )


class RemoveConstraintExceptOnPostgreSQL(migrations.RemoveConstraint):
    """On PostgreSQL the constraint is dropped by ``partition_events``, once every process stores receipts."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("webhooks", "0006_event_indexes_for_the_list_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeliveryReceipt",
            fields=[
                ("delivery_id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("received_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "db_table": "webhook_delivery_receipts",
            },
        ),
        migrations.RunPython(copy_recent_receipts, migrations.RunPython.noop, elidable=True),
        AddIndexConcurrently(
            model_name="webhookevent",
            index=models.Index(fields=["delivery_id"], name="webhook_event_delivery_idx"),
        ),
        RemoveConstraintExceptOnPostgreSQL(model_name="webhookevent", name="webhook_event_unique_delivery_id"),
    ]
