from django.conf import settings
from django.core.management.base import BaseCommand

from webhooks import retention


class Command(BaseCommand):
    help = "Remove processed and skipped webhook events older than WEBHOOK_EVENT_RETENTION_DAYS."

    def handle(self, *args, **options):
        retention.make_days_ahead()
        deleted = retention.prune_events()
        self.stdout.write(f"Deleted {deleted} event(s) older than {settings.WEBHOOK_EVENT_RETENTION_DAYS} days.")
