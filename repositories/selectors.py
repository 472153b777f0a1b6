"""Reads of repository state (what the webhook handlers stored)."""

from webhooks.models import WebhookEvent

from .models import Issue, PullRequest, Push, Repository


def repository_list():
    return Repository.objects.all()


def pull_requests_of(repository, *, state=None):
    queryset = PullRequest.objects.filter(repository=repository).order_by("-number")
    return queryset.filter(state=state) if state else queryset


def issues_of(repository, *, state=None, include_deleted=False):
    queryset = Issue.objects.filter(repository=repository).order_by("-number")
    if not include_deleted:
        queryset = queryset.filter(deleted=False)
    return queryset.filter(state=state) if state else queryset


def pushes_of(repository, *, ref=None):
    queryset = Push.objects.filter(repository=repository).prefetch_related("commits").order_by("-received_at", "-id")
    return queryset.filter(ref=ref) if ref else queryset


def recent_events_of(full_name, count):
    """The newest stored deliveries about a repository, without their payloads."""
    return list(
        # iexact: UPPER(name) = UPPER(…), the (UPPER(repository_full_name), received_at) index.
        WebhookEvent.objects.filter(repository_full_name__iexact=full_name)
        .order_by("-received_at")
        .only("id", "event", "action", "status", "received_at")[:count]
    )
