"""On PostgreSQL, a ``webhook_events`` partitioned by the previous version loses its DEFAULT partition.

The archive (below the days) and the future (above them) take its place, so
every row still has a partition, and pages ordered by ``received_at`` read
the partitions in order instead of merging them all (bigtables.partitions).
One short transaction: the default is normally empty.
"""

from django.db import migrations


def replace_default(apps, schema_editor):
    from bigtables import partitions
    from webhooks.models import WebhookEvent

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        partitions.replace_default(WebhookEvent._meta.db_table, connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("webhooks", "0008_partition_empty_events")]

    operations = [migrations.RunPython(replace_default, migrations.RunPython.noop)]
