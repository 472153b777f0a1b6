import threading
import time

from django.conf import settings
from django.db.models import OuterRef, Subquery

from .models import WebhookConfig, WebhookEvent


class _ConfigCache:
    """Every config, indexed for the receiver, reloaded at most every WEBHOOK_CONFIG_CACHE_SECONDS.

    Saves a query on every delivery. Saving or deleting a config clears it in
    the process that did so (signals in apps.py); other processes catch up
    within the TTL, and a rotated secret stays valid meanwhile.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._loaded_at = None
        self.by_hook_id = {}
        self.by_repository = {}

    def clear(self, **kwargs):
        self._loaded_at = None

    def get(self):
        now = time.monotonic()
        if self._loaded_at is None or now - self._loaded_at >= settings.WEBHOOK_CONFIG_CACHE_SECONDS:
            with self._lock:
                configs = list(WebhookConfig.objects.all())
                self.by_hook_id = {config.hook_id: config for config in configs if config.hook_id is not None}
                self.by_repository = {config.repository.lower(): config for config in configs}
                self._loaded_at = now
        return self


config_cache = _ConfigCache()


def find_config_for_delivery(*, hook_id=None, repository_full_name="", owner=""):
    """The config that signs a delivery, most specific first.

    GitHub's hook id names the hook exactly; otherwise the repository's own
    config; otherwise the organization-level config of its owner.
    """
    configs = config_cache.get()
    if hook_id is not None and hook_id in configs.by_hook_id:
        return configs.by_hook_id[hook_id]
    for name in (repository_full_name, owner):
        if name and name.lower() in configs.by_repository:
            return configs.by_repository[name.lower()]
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


def config_list():
    return with_last_delivery(WebhookConfig.objects.all())


def with_last_delivery(configs):
    """Annotate ``last_delivery_at``: when the newest stored delivery of each config was received.

    Read from the events (one probe of the (config, received_at) index per
    config) rather than written by the receiver on every delivery. Pruned
    events no longer count (WEBHOOK_EVENT_RETENTION_DAYS).
    """
    newest = WebhookEvent.objects.filter(config=OuterRef("pk")).order_by("-received_at").values("received_at")[:1]
    return configs.annotate(last_delivery_at=Subquery(newest))


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
