"""The rate-limit store the service gives the GitHub client (``GITHUB_RATE_LIMIT_STORE``).

The client records the state of every response. The latest state per
credential and resource goes to the shared cache (read before every request
by every process, so an exhausted resource is not asked again) and to a
per-process copy used while the cache is down. History rows are written at
most every GITHUB_RATE_LIMIT_HISTORY_INTERVAL seconds per credential and
resource, not one per API call.
"""

import logging
import threading

from django.conf import settings
from django.db import DatabaseError, transaction

from github import cache
from github import metrics as github_metrics
from github.credentials import credential_kind
from github.sansio import RateLimitState

from .models import GitHubRateLimit

logger = logging.getLogger(__name__)


def state_key(credential_key):
    return f"gh:ratelimit:{credential_key}"


def _gate_key(credential_key, resource):
    return f"gh:ratelimit:{credential_key}:{resource}:history"


class RateLimitStore:
    def __init__(self):
        # Per-process copies: credential key -> resource -> state, and history gates.
        self._local_states = {}
        self._local_history = {}
        self._lock = threading.Lock()

    def reset(self):
        with self._lock:
            self._local_states.clear()
            self._local_history.clear()

    def states(self, key):
        """resource -> RateLimitState, from the shared cache, else this process's copy."""
        data = cache.get(state_key(key))
        if data is None:
            with self._lock:
                return dict(self._local_states.get(key, {}))
        return {resource: RateLimitState(**values) for resource, values in data.get("resources", {}).items()}

    def current(self, key, resource):
        return self.states(key).get(resource)

    def record(self, key, state, *, history=True):
        """Keep ``state`` as the latest for its resource; write a history row if one is due.

        Returns the row written, if any. An older observation never overwrites a newer one.
        """
        kind = credential_kind(key)
        github_metrics.GITHUB_API_RATE_LIMIT_REMAINING.labels(resource=state.resource, credential_kind=kind).set(
            state.remaining
        )
        github_metrics.GITHUB_API_RATE_LIMIT_LIMIT.labels(resource=state.resource, credential_kind=kind).set(
            state.limit
        )
        with self._lock:
            self._local_states.setdefault(key, {})[state.resource] = state
        shared_key = state_key(key)
        data = cache.get(shared_key) or {"resources": {}}
        previous = data["resources"].get(state.resource)
        if previous is None or previous.get("observed_at", 0) <= state.observed_at:
            # Read-modify-write: two processes racing on different resources may
            # drop one update; the next response of that resource restores it.
            data["resources"][state.resource] = state.to_dict()
            cache.set(shared_key, data, settings.GITHUB_CACHE_STALE_TTL)
        if history and self._history_due(key, state):
            rows = write_history(key, [state])
            return rows[0] if rows else None
        return None

    def snapshot(self, key, states):
        """Record states from GET /rate_limit as the latest, and a history row for each."""
        for state in states:
            self.record(key, state, history=False)
            # This row counts as the resource's history for the next interval.
            cache.set(
                _gate_key(key, state.resource), {"at": state.observed_at}, settings.GITHUB_RATE_LIMIT_HISTORY_INTERVAL
            )
        return write_history(key, states)

    def _history_due(self, key, state):
        interval = settings.GITHUB_RATE_LIMIT_HISTORY_INTERVAL
        added = cache.add(_gate_key(key, state.resource), {"at": state.observed_at}, interval)
        if added is not None:
            return added
        # Cache down: gate per process only.
        with self._lock:
            last = self._local_history.get((key, state.resource))
            if last is not None and state.observed_at - last < interval:
                return False
            self._local_history[(key, state.resource)] = state.observed_at
        return True


def write_history(key, states):
    rows = [
        GitHubRateLimit(
            token_hash=key,
            resource=state.resource,
            limit=state.limit,
            remaining=state.remaining,
            used=state.used,
            reset_at=state.reset_at,
            observed_at=state.observed_datetime,
            source=state.source,
        )
        for state in states
    ]
    if not rows:
        return []
    try:
        # A savepoint: a failed insert must not break the caller's transaction.
        with transaction.atomic():
            return GitHubRateLimit.objects.bulk_create(rows)
    except DatabaseError:
        # History is best effort; the latest state is in the cache already.
        logger.warning("could not store rate-limit history", exc_info=True)
        return []
