"""Counts taken from other packages' signals (the GitHub client sends them; it imports no app)."""

from github.sansio import rate_limit_resource

from . import recorder
from .models import Series


def github_response(sender, *, template, status, **kwargs):
    """One request sent to GitHub: its answer's class (2xx, 304, 4xx, 5xx) or how it failed."""
    resource = rate_limit_resource(template) or "rate_limit"
    recorder.count(Series.GITHUB_CALLS, label=resource, outcome=answer_class(status))


def answer_class(status):
    if not status.isdigit():
        return status  # timeout, connection_error
    if status in ("304", "403", "429"):
        return status  # revalidated; refused or rate limited
    return f"{status[0]}xx"
