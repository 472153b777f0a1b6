"""On PostgreSQL, an empty events table (a new install) is partitioned by day at once.

A table with events is converted by ``manage.py partition_events``, run once
every process runs this version (README, "Upgrading").
"""

from django.db import migrations


def partition_if_empty(apps, schema_editor):
    from webhooks import retention

    retention.partition_events(only_if_empty=True, connection=schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("webhooks", "0007_delivery_receipts"),
        ("subscriptions", "0002_message_event_without_db_constraint"),
    ]

    operations = [
        migrations.RunPython(partition_if_empty, migrations.RunPython.noop),
    ]
