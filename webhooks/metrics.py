"""Prometheus metrics of webhook intake and processing.

Labels are bounded: event names outside GitHub's known list count as
"other", actions are only kept for known events, and rejection reasons are a
fixed set (outcomes.RejectionReason). Delivery ids, repositories and secrets
never become labels.
"""

import re

from prometheus_client import Counter, Histogram

from . import handlers
from .constants import GITHUB_EVENTS
from .outcomes import DeliveryOutcome, RejectionReason

OTHER = "other"
# Seconds from receipt to processed, as the dashboard's lag chart buckets them (rollups.histograms).
PROCESSING_LAG_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
_ACTION_RE = re.compile(r"[a-z_]{1,40}")

WEBHOOK_EVENTS_RECEIVED = Counter(
    "webhook_events_received_total",
    f"Verified deliveries answered by the receiver, by event and outcome ({', '.join(DeliveryOutcome.values)}).",
    ["event", "status"],
)
WEBHOOK_DELIVERIES_REJECTED = Counter(
    "webhook_deliveries_rejected_total",
    "Deliveries refused and not stored, by reason.",
    ["reason"],
)
WEBHOOK_EVENTS_DUPLICATE = Counter(
    "webhook_events_duplicate_total",
    "Redeliveries of an already stored X-GitHub-Delivery.",
    ["event"],
)
WEBHOOK_EVENTS_PROCESSED = Counter(
    "webhook_events_processed_total",
    "Events processed successfully, by event and action.",
    ["event", "action"],
)
WEBHOOK_EVENTS_FAILED = Counter(
    "webhook_events_failed_total",
    "Processing attempts that raised, by event and whether the event is now failed for good.",
    ["event", "final"],
)
WEBHOOK_PROCESSING_DURATION = Histogram(
    "webhook_processing_duration_seconds",
    "Time to run an event's handlers and mark it processed.",
    ["event"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
WEBHOOK_REDELIVERIES_REQUESTED = Counter(
    "webhook_redeliveries_requested_total",
    "Failed deliveries GitHub was asked to redeliver (redeliver_failed).",
)
REPOSITORY_SYNC = Counter(
    "repository_sync_total",
    "Events applied to repository state by a handler, by event and result.",
    ["event", "result"],
)
REPOSITORY_SYNC_DURATION = Histogram(
    "repository_sync_duration_seconds",
    "Time spent in the handlers that update repository state.",
    ["event"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def event_label(event):
    return event if event in GITHUB_EVENTS else OTHER


def action_label(event, action):
    if event not in GITHUB_EVENTS or not action:
        return ""
    return action if _ACTION_RE.fullmatch(action) else OTHER


def initial_events():
    """Events with handlers, plus ping: their series exist from the first scrape."""
    return sorted({event_label(event) for event in handlers.registered_events()} | {"ping"})


def initialise():
    """Create the known series at zero, so dashboards see 0 rather than no data.

    Call it once every app is loaded (apps.py does, at the first request):
    other apps register their handlers in their own ready().
    """
    for reason in RejectionReason.values:
        WEBHOOK_DELIVERIES_REJECTED.labels(reason)
    for event in initial_events():
        for status in DeliveryOutcome.values:
            WEBHOOK_EVENTS_RECEIVED.labels(event, status)
        WEBHOOK_EVENTS_DUPLICATE.labels(event)
        WEBHOOK_EVENTS_PROCESSED.labels(event, "")
        WEBHOOK_EVENTS_FAILED.labels(event, "false")
        WEBHOOK_EVENTS_FAILED.labels(event, "true")
        WEBHOOK_PROCESSING_DURATION.labels(event)
        REPOSITORY_SYNC.labels(event, "applied")
        REPOSITORY_SYNC.labels(event, "error")
        REPOSITORY_SYNC_DURATION.labels(event)
