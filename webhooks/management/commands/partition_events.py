from django.core.management.base import BaseCommand
from django.db import connection

from webhooks import retention


class Command(BaseCommand):
    help = (
        "Partition webhook_events by day (PostgreSQL), keeping its rows, while deliveries keep arriving. "
        "Run it once every process runs this version (README, 'Upgrading')."
    )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Nothing to do: partitioning is PostgreSQL's; this database prunes in batches.")
        elif retention.partition_events():
            self.stdout.write("webhook_events is partitioned by day.")
        else:
            self.stdout.write("webhook_events was already partitioned by day.")
