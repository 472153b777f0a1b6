"""Reads of the ratelimits app: latest state, health, history."""

from github.sansio import RateLimitState

from .models import GitHubRateLimit

HEALTHY = "healthy"
DEGRADED = "degraded"
EXHAUSTED = "exhausted"
_SEVERITY = {HEALTHY: 0, DEGRADED: 1, EXHAUSTED: 2}


def latest_states(rate_limits, key):
    """resource -> RateLimitState of the credential ``key``.

    The latest kept by the store, else the newest history row per resource.
    """
    states = rate_limits.states(key)
    if states:
        return states
    rows = GitHubRateLimit.objects.filter(token_hash=key)
    for resource in rows.values_list("resource", flat=True).distinct():
        row = rows.filter(resource=resource).order_by("-observed_at", "-id").first()
        states[resource] = RateLimitState(
            resource=row.resource,
            limit=row.limit,
            remaining=row.remaining,
            used=row.used,
            reset=int(row.reset_at.timestamp()),
            observed_at=row.observed_at.timestamp(),
            source=row.source,
        )
    return states


def resource_health(state, threshold, now):
    """(status, remaining ratio) of one resource; a window past its reset is full again."""
    remaining = state.effective_remaining(now)
    ratio = remaining / state.limit if state.limit else 0.0
    if remaining <= 0:
        return EXHAUSTED, 0.0
    return (DEGRADED if ratio < threshold else HEALTHY), ratio


def health_report(states, *, threshold, resources, now):
    """Overall status (worst of the watched resources) and the per-resource figures."""
    report = {}
    overall = HEALTHY
    for resource in resources:
        state = states.get(resource)
        if state is None:
            continue
        status, ratio = resource_health(state, threshold, now)
        report[resource] = {
            "status": status,
            "limit": state.limit,
            "remaining": state.effective_remaining(now),
            "remaining_ratio": round(ratio, 4),
            "threshold": threshold,
            "reset": state.reset,
            "observed_at": state.observed_datetime,
        }
        if _SEVERITY[status] > _SEVERITY[overall]:
            overall = status
    return overall, report


def history():
    return GitHubRateLimit.objects.all()


def budget_between(resource, since, until):
    """``(credential key, observed_at, remaining, limit)`` of one resource's history rows, oldest first."""
    return (
        GitHubRateLimit.objects.filter(resource=resource, observed_at__gte=since, observed_at__lt=until)
        .order_by("observed_at")
        .values_list("token_hash", "observed_at", "remaining", "limit")
    )
