from django.core.management.base import BaseCommand

from subscriptions.tasks import send_due_messages


class Command(BaseCommand):
    help = "Send every subscription message that is due (what beat runs every few seconds)."

    def handle(self, *args, **options):
        self.stdout.write(f"sent or handed to the workers: {send_due_messages()}")
