"""On PostgreSQL, a ``webhook_events`` partitioned by the previous version loses its DEFAULT partition.

The archive (below the days) and the future (above them) take its place, so
every row still has a partition, and pages ordered by ``received_at`` read
the partitions in order instead of merging them all (bigtables.partitions).
One short transaction: the default is normally empty.
"""

import time

from django.db import OperationalError, migrations


def replace_default(apps, schema_editor):
    from bigtables import partitions
    from webhooks.models import WebhookEvent

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    for attempt in range(1, 6):
        try:
            partitions.replace_default(WebhookEvent._meta.db_table, connection)
            return
        except OperationalError:  # the lock not granted in time, behind a long query
            if attempt == 5:
                raise
            time.sleep(1)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("webhooks", "0008_partition_empty_events")]

    operations = [migrations.RunPython(replace_default, migrations.RunPython.noop)]
