"""On PostgreSQL, a new install's events table is partitioned by day at once.

A new install: this migrate run applied webhooks' first migration, so no
process of an earlier version can be storing deliveries (it would need the
events' unique delivery id, which a partitioned table cannot have), and the
table is empty. An existing install is converted by ``manage.py
partition_events``, run once every process runs this version (README,
"Upgrading").
"""

from datetime import timedelta

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone


def partition_a_new_install(apps, schema_editor):
    from webhooks import retention

    first = (
        MigrationRecorder(schema_editor.connection)
        .migration_qs.filter(app="webhooks", name="0001_initial")
        .values_list("applied", flat=True)
        .first()
    )
    if first is not None and timezone.now() - first < timedelta(hours=1):
        retention.partition_events(only_if_empty=True, connection=schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("webhooks", "0007_delivery_receipts"),
        ("subscriptions", "0002_message_event_without_db_constraint"),
    ]

    operations = [
        migrations.RunPython(partition_a_new_install, migrations.RunPython.noop),
    ]
