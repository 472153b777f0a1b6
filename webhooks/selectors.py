from django.conf import settings
from django.db.models import Q

from .models import WebhookConfig, WebhookEvent


def find_config_for_delivery(*, hook_id=None, repository_full_name="", owner=""):
    """The config that signs a delivery, most specific first.

    GitHub's hook id names the hook exactly; otherwise the repository's own
    config; otherwise the organization-level config of its owner.
    """
    query = Q()
    if hook_id is not None:
        query |= Q(hook_id=hook_id)
    if repository_full_name:
        query |= Q(repository__iexact=repository_full_name)
    if owner:
        query |= Q(repository__iexact=owner)
    if not query:
        return None
    candidates = list(WebhookConfig.objects.filter(query)[:3])
    if hook_id is not None:
        for config in candidates:
            if config.hook_id == hook_id:
                return config
    for wanted in (repository_full_name, owner):
        for config in candidates:
            if wanted and config.repository.lower() == wanted.lower():
                return config
    return None


def secrets_for(config, now):
    """The secrets a delivery may be signed with right now."""
    if config is None:
        return [settings.GITHUB_WEBHOOK_SECRET] if settings.GITHUB_WEBHOOK_SECRET else []
    secrets = [config.secret]
    # A previous secret without an expiry is not accepted: rotation must end.
    expires_at = config.previous_secret_expires_at
    if config.previous_secret and expires_at is not None and expires_at > now:
        secrets.append(config.previous_secret)
    return [secret for secret in secrets if secret]


def event_list():
    # The list never shows payloads; they can be megabytes each.
    return WebhookEvent.objects.defer("payload", "headers")


def event_detail_list():
    return WebhookEvent.objects.all()


class PendingEventsCollector:
    """Prometheus collector: events waiting for processing, read at scrape time."""

    def collect(self):
        from django.db import DatabaseError
        from django.db.models import Count, Min
        from django.utils import timezone
        from prometheus_client.core import GaugeMetricFamily

        by_status = GaugeMetricFamily(
            "webhook_events_by_status", "Stored webhook events not yet done, by status.", labels=["status"]
        )
        oldest = GaugeMetricFamily(
            "webhook_events_oldest_pending_age_seconds", "Age of the oldest pending event (0 when none)."
        )
        pending = GaugeMetricFamily("webhook_events_pending", "Events waiting to be processed (queue depth).")
        waiting = (WebhookEvent.Status.PENDING, WebhookEvent.Status.PROCESSING, WebhookEvent.Status.FAILED)
        try:
            counts = dict(
                WebhookEvent.objects.filter(status__in=waiting)
                .values_list("status")
                .annotate(count=Count("id"))
                .order_by()
            )
            first = WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING).aggregate(Min("received_at"))
        except DatabaseError:
            return  # the scrape still shows every other metric
        for status in waiting:
            by_status.add_metric([status], counts.get(status, 0))
        pending.add_metric([], counts.get(WebhookEvent.Status.PENDING, 0))
        age = (timezone.now() - first["received_at__min"]).total_seconds() if first["received_at__min"] else 0
        oldest.add_metric([], age)
        yield pending
        yield by_status
        yield oldest
