"""What the dashboard's buttons do."""

from webhooks.processing import reprocess_events
from webhooks.selectors import failed_between

from .selectors import window_span

# Events one press reprocesses at most (the newest of the window): one short request, whatever the backlog.
REPROCESS_AT_ONCE = 1000


def reprocess_failed(window, now):
    """Put the window's newest failed events (up to REPROCESS_AT_ONCE) back to pending and enqueue them."""
    since, until = window_span(window, now)
    return reprocess_events(failed_between(since, until)[:REPROCESS_AT_ONCE])
