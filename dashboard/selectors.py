"""The dashboard's numbers: every one a bounded read (a rollup range, or an index range of a few rows).

Charts over time read the rollups (rollups.selectors), never the events
table; from the tables come only the backlog (the (status, received_at)
index: the rows not yet done), the window's failed events, and the
rate-limit history (an observed_at range, a row per credential every
GITHUB_RATE_LIMIT_HISTORY_INTERVAL).
"""

import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.urls import reverse

from bigtables.counting import estimated_count
from github.credentials import credential_label
from github.responses import HIT, MISS, REVALIDATED, STALE
from ratelimits.selectors import budget_between
from rollups import histograms
from rollups.models import Series as RollupSeries
from rollups.selectors import counts_by_step, totals
from subscriptions.selectors import subscription_list
from webhooks import metrics as webhook_metrics
from webhooks.models import WebhookEvent
from webhooks.outcomes import REJECTED, DeliveryOutcome, RejectionReason
from webhooks.selectors import backlog, error_kind, failed_between

from . import charts
from .charts import Series

# What each chart stacks, in order, with a colour readable on the admin's light and dark themes.
DELIVERY_SERIES = [
    Series(DeliveryOutcome.QUEUED, "accepted", "#2e9e5b"),
    Series(DeliveryOutcome.PROCESSED, "accepted, processed at once", "#67c28c"),
    Series(DeliveryOutcome.SKIPPED, "skipped", "#8c93a0"),
    Series(DeliveryOutcome.DUPLICATE, "duplicate", "#4a83c9"),
    *(
        Series(f"{REJECTED}:{reason}", f"rejected: {reason.replace('_', ' ')}", color)
        for reason, color in zip(
            RejectionReason.values,
            ("#d64545", "#e07b39", "#b8860b", "#c2185b", "#8e44ad", "#6d4c41", "#ff5252"),
            strict=True,
        )
    ),
]
PROCESSING_SERIES = [
    Series(WebhookEvent.Status.PROCESSED, "processed", "#2e9e5b"),
    Series(WebhookEvent.Status.FAILED, "failed", "#d64545"),
]
LAG_SERIES = [Series("p50", "p50 lag", "#4a83c9"), Series("p95", "p95 lag", "#e07b39")]
FAILED_SERIES = [Series(WebhookEvent.Status.FAILED, "failed events", "#d64545")]
CALL_SERIES = [
    Series("2xx", "2xx", "#2e9e5b"),
    Series("304", "304 not modified", "#26a69a"),
    Series("3xx", "3xx", "#8c93a0"),
    Series("4xx", "4xx", "#e07b39"),
    Series("403", "403 refused or limited", "#8e44ad"),
    Series("429", "429 rate limited", "#c2185b"),
    Series("5xx", "5xx", "#d64545"),
    Series("timeout", "timeout", "#6d4c41"),
    Series("connection_error", "unreachable", "#ff5252"),
]
CACHE_SERIES = [
    Series(HIT, HIT, "#2e9e5b"),
    Series(REVALIDATED, REVALIDATED, "#26a69a"),
    Series(STALE, STALE, "#e07b39"),
    Series(MISS, MISS, "#8c93a0"),
]
SUBSCRIPTION_SERIES = [
    Series("delivered", "delivered", "#2e9e5b"),
    Series("retrying", "retrying", "#e07b39"),
    Series("failed", "failed", "#d64545"),
    Series("held", "held (410 Gone)", "#8e44ad"),
]
BUDGET_PALETTE = ("#4a83c9", "#2e9e5b", "#e07b39", "#8e44ad", "#c2185b", "#26a69a")
# Failed events whose errors are grouped into kinds: the newest of the window.
ERROR_SAMPLE = 200
TOP_ERROR_KINDS = 6
SUBSCRIPTION_ROWS = 20


def dashboard(window, *, event="", now=None):
    """Everything the dashboard draws for ``window`` (windows.Window), deliveries of ``event`` only if given."""
    now = int(now if now is not None else time.time())
    span = _unix_span(window, now)
    starts = list(range(*span, window.step))
    links = EventLinks()
    cache_reads = counts_by_step(RollupSeries.CACHE_READS, *span, window.step, by=("outcome",))
    return {
        "event_choices": sorted(
            label for (label,) in totals(RollupSeries.DELIVERIES, *span, window.step, by=("label",))
        ),
        "deliveries": _deliveries(links, window, starts, span, event),
        "processing": _events_by_status(
            links, window, starts, span, "processing", "Events processed and failed", PROCESSING_SERIES
        ),
        "lag": _lag(links, window, starts, span),
        "failures": _events_by_status(links, window, starts, span, "failures", "Failed events", FAILED_SERIES),
        "error_kinds": _error_kinds(links, span),
        "budget": _budget(window, starts, span),
        "calls": _calls(window, starts, span),
        "cache": charts.stacked_bars("cache", "Cached reads served", window, starts, cache_reads, CACHE_SERIES),
        "subscriptions": _subscriptions(span, window.step),
        "backlog": _backlog(links, now),
        "now": _datetime(now),
        "failed_in_window": estimated_count(failed_between(*map(_datetime, span))),
        "cache_hit_ratio": _hit_ratio(cache_reads),
        "since": _datetime(span[0]),
    }


def window_span(window, now):
    """The window's [since, until) as datetimes: whole steps, the current one last."""
    return tuple(map(_datetime, _unix_span(window, int(now))))


def _unix_span(window, now):
    until = (now // window.step + 1) * window.step
    return until - window.seconds, until


class EventLinks:
    """Links to the admin's events list for received_at in [since, until) (Unix seconds), with more filters.

    The list's path is reversed once per dashboard: a few hundred marks link to it.
    """

    def __init__(self):
        self.path = reverse("admin:webhooks_webhookevent_changelist")

    def __call__(self, since, until, **filters):
        query = {
            "received_at__gte": _datetime(since).isoformat(),
            "received_at__lt": _datetime(until).isoformat(),
            **{name: value for name, value in filters.items() if value},
        }
        return f"{self.path}?{urlencode(query)}"


def _deliveries(links, window, starts, span, event):
    filters = {"label": event} if event else {}
    counts = counts_by_step(RollupSeries.DELIVERIES, *span, window.step, by=("outcome", "detail"), **filters)
    values = Counter()
    for (start, outcome, detail), n in counts.items():
        values[(start, f"{outcome}:{detail}" if outcome == REJECTED else outcome)] += n

    def href_for(start, key):
        status = WebhookEvent.Status.SKIPPED if key == DeliveryOutcome.SKIPPED else ""
        return links(start, start + window.step, event=event, status=status)

    return charts.stacked_bars(
        "deliveries",
        "Deliveries by outcome",
        window,
        starts,
        values,
        DELIVERY_SERIES,
        href=links(*span, event=event),
        href_for=href_for,
    )


def _events_by_status(links, window, starts, span, chart_id, title, series):
    """Events processed or failed for good per step (the processing rollup), each bar linked to its events."""
    statuses = [one.key for one in series]
    values = counts_by_step(RollupSeries.PROCESSING, *span, window.step, by=("outcome",), outcome__in=statuses)

    def href_for(start, key):
        return links(start, start + window.step, status=key)

    return charts.stacked_bars(
        chart_id, title, window, starts, values, series, href=links(*span, status=statuses[0]), href_for=href_for
    )


def _lag(links, window, starts, span):
    counts = counts_by_step(
        RollupSeries.PROCESSING, *span, window.step, by=("detail",), outcome=WebhookEvent.Status.PROCESSED
    )
    by_start = defaultdict(dict)
    for (start, detail), n in counts.items():
        by_start[start][detail] = n
    values = {}
    for start, buckets in by_start.items():
        for name, q in (("p50", 0.5), ("p95", 0.95)):
            values[(start, name)] = histograms.quantile(q, buckets, webhook_metrics.PROCESSING_LAG_BUCKETS)
    return charts.lines(
        "lag",
        "Lag from receipt to processed",
        window,
        starts,
        values,
        LAG_SERIES,
        href=links(*span, status=WebhookEvent.Status.PROCESSED),
        y_format=_seconds,
    )


def _error_kinds(links, span):
    errors = failed_between(*map(_datetime, span)).values_list("last_error", flat=True)[:ERROR_SAMPLE]
    kinds = Counter(error_kind(error) for error in errors)
    failed = links(*span, status=WebhookEvent.Status.FAILED)
    rows = [
        (kind, {"failed": n}, f"{failed}&{urlencode({'last_error__contains': kind})}", False)
        for kind, n in kinds.most_common(TOP_ERROR_KINDS)
    ]
    return charts.ranking("error-kinds", f"Top errors (newest {ERROR_SAMPLE} failed)", rows, FAILED_SERIES, href=failed)


def _budget(window, starts, span):
    values, keys = {}, []
    for key, observed_at, remaining, limit in budget_between("core", *map(_datetime, span)):
        start = int(observed_at.timestamp()) // window.step * window.step
        if key not in keys:
            keys.append(key)
        # The last observation of the step, as a percentage of the limit.
        values[(start, key)] = 100.0 * remaining / limit if limit else 0.0
    series = [
        Series(key, credential_label(key), BUDGET_PALETTE[index % len(BUDGET_PALETTE)])
        for index, key in enumerate(keys)
    ]
    history = reverse("admin:ratelimits_githubratelimit_changelist")
    query = urlencode({"resource": "core", "observed_at__gte": _datetime(span[0]).isoformat()})
    return charts.lines(
        "budget",
        "Core rate budget left, per credential",
        window,
        starts,
        values,
        series,
        href=f"{history}?{query}",
        y_max=100,
        y_format=lambda value: f"{value:.0f}%",
    )


def _calls(window, starts, span):
    values = counts_by_step(RollupSeries.GITHUB_CALLS, *span, window.step, by=("outcome",))
    return charts.stacked_bars("calls", "Requests sent to GitHub", window, starts, values, CALL_SERIES)


def _hit_ratio(cache_reads):
    served = sum(cache_reads.values())
    hits = sum(n for (_, outcome), n in cache_reads.items() if outcome == HIT)
    return hits / served if served else None


def _subscriptions(span, step):
    counts = defaultdict(dict)
    for (label, outcome), n in totals(RollupSeries.SUBSCRIPTION_MESSAGES, *span, step, by=("label", "outcome")).items():
        counts[label][outcome] = n
    rows = []
    # Disabled ones first: they are what staff must see.
    for subscription in subscription_list().only("pk", "name", "active").order_by("active", "name")[:SUBSCRIPTION_ROWS]:
        href = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
        name = subscription.name if subscription.active else f"{subscription.name} (disabled)"
        rows.append((name, counts.get(str(subscription.pk), {}), href, not subscription.active))
    return charts.ranking(
        "subscriptions",
        "Subscription messages, per subscription",
        rows,
        SUBSCRIPTION_SERIES,
        href=reverse("admin:subscriptions_subscription_changelist"),
    )


def _backlog(links, now):
    counts, oldest_age = backlog(_datetime(now))
    return {
        "pending": counts[WebhookEvent.Status.PENDING],
        "processing": counts[WebhookEvent.Status.PROCESSING],
        "failed": counts[WebhookEvent.Status.FAILED],
        "oldest_age": _seconds(oldest_age),
        "pending_href": f"{links.path}?status=pending",
        "failed_href": f"{links.path}?status=failed",
    }


def _seconds(value):
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def _datetime(seconds):
    return datetime.fromtimestamp(seconds, UTC)
