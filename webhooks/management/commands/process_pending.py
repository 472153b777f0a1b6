from django.core.management.base import BaseCommand

from webhooks import processing


class Command(BaseCommand):
    help = "Enqueue webhook events left pending or abandoned in processing (one sweep)."

    def handle(self, *args, **options):
        count = processing.sweep_pending_events()
        self.stdout.write(f"Enqueued {count} event(s).")
