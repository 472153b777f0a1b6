from django.conf import settings
from django.core.management.base import BaseCommand

from webhooks import processing


class Command(BaseCommand):
    help = "Delete processed and skipped webhook events older than WEBHOOK_EVENT_RETENTION_DAYS."

    def handle(self, *args, **options):
        deleted = processing.prune_events()
        self.stdout.write(f"Deleted {deleted} event(s) older than {settings.WEBHOOK_EVENT_RETENTION_DAYS} days.")
