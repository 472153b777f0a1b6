import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from webhooks import hooks
from webhooks.models import WebhookConfig

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value):
    match = _DURATION.fullmatch(value.strip())
    if not match:
        raise CommandError(f"--since takes a duration like 30m, 24h or 3d, not {value!r}.")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Ask GitHub to redeliver deliveries that failed and that were never stored here "
        "(GitHub keeps deliveries for 3 days and does not retry them by itself)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", default="24h", help="How far back to look: 30m, 24h, 3d (default 24h).")
        parser.add_argument("--config", type=int, help="Only this webhook config id.")

    def handle(self, *args, since, config, **options):
        cutoff = timezone.now() - parse_since(since)
        if config is not None:
            try:
                one = WebhookConfig.objects.get(pk=config)
            except WebhookConfig.DoesNotExist:
                raise CommandError(f"No webhook config {config}.") from None
            reports = {one.repository: hooks.redeliver_failed(one, cutoff)}
        else:
            reports = hooks.redeliver_failed_for_all(cutoff)
        for repository, report in reports.items():
            self.stdout.write(
                f"{repository}: listed {report.listed}, failed GUIDs {report.failed_guids}, "
                f"already stored {report.already_stored}, redelivered {report.redelivered}, errors {report.errors}"
            )
        if not reports:
            self.stdout.write("No active config with a GitHub hook.")
