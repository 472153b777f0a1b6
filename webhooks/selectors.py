from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from bigtables.counting import estimated_count
from coherence.process_cache import ProcessCache

from .models import WebhookConfig, WebhookEvent


@dataclass
class ConfigIndex:
    """Every config, indexed the ways the receiver looks one up."""

    by_hook_id: dict = field(default_factory=dict)
    by_repository: dict = field(default_factory=dict)


def _load_config_index():
    configs = list(WebhookConfig.objects.all())
    return ConfigIndex(
        by_hook_id={config.hook_id: config for config in configs if config.hook_id is not None},
        by_repository={config.repository.lower(): config for config in configs},
    )


# Saves a query per delivery; any change to a config, in any process, is in
# force here from the next delivery on (signals in apps.py bump the generation).
config_cache = ProcessCache("webhook-configs", _load_config_index)


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


def app_hook_secrets(target_type, target_id):
    """The secrets of a delivery from the GitHub App's own webhook, or None when it is not one.

    GitHub marks those ``X-GitHub-Hook-Installation-Target-Type: integration``
    with the App's id as target; they need no config, only GITHUB_APP_WEBHOOK_SECRET
    (without it, such a delivery is matched like any other).
    """
    app_id, secret = settings.GITHUB_APP_ID.strip(), settings.GITHUB_APP_WEBHOOK_SECRET
    if not (app_id and secret and target_type == "integration" and target_id.strip() == app_id):
        return None
    return [secret]


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


def recent_deliveries(config, count):
    """The config's newest stored deliveries, without their payloads (the (config, received_at) index)."""
    return list(
        WebhookEvent.objects.filter(config=config)
        .order_by("-received_at")
        .only("id", "delivery_id", "event", "action", "status", "received_at")[:count]
    )


def event_list():
    # The list never shows payloads; they can be megabytes each.
    return WebhookEvent.objects.defer("payload", "headers")


def event_detail_list():
    return WebhookEvent.objects.all()


# The states of an event not yet done with: the backlog and what waits for staff.
WAITING = (WebhookEvent.Status.PENDING, WebhookEvent.Status.PROCESSING, WebhookEvent.Status.FAILED)


def backlog(now=None):
    """``({status: count} for WAITING, seconds the oldest pending event has waited)``; (status, received_at) index.

    Failed events are kept until staff act, and a backlog can grow to millions during an
    outage: each count is exact below ten thousand and the planner's estimate above
    (bigtables.counting), so a scrape or the dashboard never counts a million rows.
    """
    counts = {status: estimated_count(WebhookEvent.objects.filter(status=status)) for status in WAITING}
    first = WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING).aggregate(Min("received_at"))
    oldest = first["received_at__min"]
    age = ((now or timezone.now()) - oldest).total_seconds() if oldest else 0
    return counts, age


def failed_between(since, until):
    """Failed events received in [since, until), newest first (the (status, received_at) index)."""
    return WebhookEvent.objects.filter(
        status=WebhookEvent.Status.FAILED, received_at__gte=since, received_at__lt=until
    ).order_by("-received_at")


def error_kind(last_error):
    """What a stored traceback's last line names: ``ValueError`` of ``ValueError: bad``."""
    lines = [line for line in last_error.strip().splitlines() if line.strip()]
    if not lines:
        return "unknown"
    return lines[-1].split(":", 1)[0].strip()[:80] or "unknown"


class PendingEventsCollector:
    """Prometheus collector: events waiting for processing, read at scrape time."""

    def collect(self):
        by_status = GaugeMetricFamily(
            "webhook_events_by_status", "Stored webhook events not yet done, by status.", labels=["status"]
        )
        oldest = GaugeMetricFamily(
            "webhook_events_oldest_pending_age_seconds", "Age of the oldest pending event (0 when none)."
        )
        pending = GaugeMetricFamily("webhook_events_pending", "Events waiting to be processed (queue depth).")
        try:
            counts, age = backlog()
        except DatabaseError:
            return  # the scrape still shows every other metric
        for status in WAITING:
            by_status.add_metric([status], counts[status])
        pending.add_metric([], counts[WebhookEvent.Status.PENDING])
        oldest.add_metric([], age)
        yield pending
        yield by_status
        yield oldest
