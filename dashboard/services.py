"""What the dashboard's buttons do."""

from webhooks.processing import reprocess_events
from webhooks.selectors import failed_between

from .selectors import window_span


def reprocess_failed(window, now):
    """Put the window's failed events back to pending and enqueue them; returns how many."""
    since, until = window_span(window, now)
    return reprocess_events(failed_between(since, until))
