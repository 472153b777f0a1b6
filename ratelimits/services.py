"""Writes of the ratelimits app: recording what GitHub says about a token's rate limits.

The client calls ``record_state`` after every response. The latest state per
token and resource goes to the cache (shared by all processes, read before
every request so an exhausted resource is not asked again) and to a
per-process copy used while the cache is down. History rows are written at
most every GITHUB_RATE_LIMIT_HISTORY_INTERVAL seconds per token and resource,
not one per API call.
"""

import hashlib
import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.db import DatabaseError, transaction

from githubfeatures import github_cache, metrics

from .models import GitHubRateLimit

logger = logging.getLogger(__name__)

# Epoch values above this are milliseconds (recorded fixtures), not seconds.
_MILLISECONDS_THRESHOLD = 10**11


@dataclass(frozen=True)
class RateLimitState:
    resource: str
    limit: int
    remaining: int
    used: int
    reset: int  # epoch seconds, as GitHub sends it
    observed_at: float  # epoch seconds
    source: str = GitHubRateLimit.Source.HEADERS

    @property
    def reset_at(self):
        return datetime.fromtimestamp(self.reset, tz=dt_timezone.utc)

    @property
    def observed_datetime(self):
        return datetime.fromtimestamp(self.observed_at, tz=dt_timezone.utc)

    def is_exhausted(self, now):
        return self.remaining <= 0 and self.reset > now

    def effective_remaining(self, now):
        """What is left now: a window whose reset has passed is full again."""
        return self.limit if self.reset <= now else self.remaining

    def to_dict(self):
        return {**asdict(self), "source": str(self.source)}


def token_hash(token):
    """The only form in which a token is stored or compared: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def _integer(value):
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _epoch_seconds(value):
    number = _integer(value)
    if number is not None and number > _MILLISECONDS_THRESHOLD:
        number //= 1000
    return number


def parse_headers(headers, now=None):
    """The state in x-ratelimit-* headers (lower-case dict), or None when absent."""
    limit = _integer(headers.get("x-ratelimit-limit"))
    remaining = _integer(headers.get("x-ratelimit-remaining"))
    reset = _epoch_seconds(headers.get("x-ratelimit-reset"))
    if limit is None or remaining is None or reset is None:
        return None
    used = _integer(headers.get("x-ratelimit-used"))
    return RateLimitState(
        resource=(headers.get("x-ratelimit-resource") or "core")[:64],
        limit=limit,
        remaining=remaining,
        used=used if used is not None else max(limit - remaining, 0),
        reset=reset,
        observed_at=now if now is not None else time.time(),
    )


def parse_rate_limit_body(body, now=None):
    """States for every resource of a GET /rate_limit body."""
    now = now if now is not None else time.time()
    states = []
    resources = body.get("resources") if isinstance(body, dict) else None
    for resource, values in (resources or {}).items():
        if not isinstance(values, dict):
            continue
        state = parse_headers(
            {
                "x-ratelimit-limit": values.get("limit"),
                "x-ratelimit-remaining": values.get("remaining"),
                "x-ratelimit-reset": values.get("reset"),
                "x-ratelimit-used": values.get("used"),
                "x-ratelimit-resource": resource,
            },
            now,
        )
        if state is not None:
            states.append(
                RateLimitState(**{**asdict(state), "source": GitHubRateLimit.Source.RATE_LIMIT_ENDPOINT})
            )
    return states


# --- Latest state ------------------------------------------------------------

# Per-process copies: token hash -> resource -> state, and history gates.
_local_states = {}
_local_history = {}
_local_lock = threading.Lock()


def reset_local_state():
    with _local_lock:
        _local_states.clear()
        _local_history.clear()


def state_key(token_hash_value):
    return f"gh:ratelimit:{token_hash_value}"


def cached_states(token_hash_value):
    """resource -> RateLimitState, from the shared cache, else this process's copy."""
    data = github_cache.get(state_key(token_hash_value))
    if data is None:
        with _local_lock:
            return dict(_local_states.get(token_hash_value, {}))
    return {resource: RateLimitState(**values) for resource, values in data.get("resources", {}).items()}


def current_state(token_hash_value, resource):
    return cached_states(token_hash_value).get(resource)


def record_state(token_hash_value, state, *, history=True):
    """Keep ``state`` as the latest for its resource; write a history row if one is due.

    Returns the row written, if any. An older observation never overwrites a newer one.
    """
    metrics.GITHUB_API_RATE_LIMIT_REMAINING.labels(resource=state.resource).set(state.remaining)
    metrics.GITHUB_API_RATE_LIMIT_LIMIT.labels(resource=state.resource).set(state.limit)
    with _local_lock:
        _local_states.setdefault(token_hash_value, {})[state.resource] = state
    key = state_key(token_hash_value)
    data = github_cache.get(key) or {"resources": {}}
    previous = data["resources"].get(state.resource)
    if previous is None or previous.get("observed_at", 0) <= state.observed_at:
        # Read-modify-write: two processes racing on different resources may
        # drop one update; the next response of that resource restores it.
        data["resources"][state.resource] = state.to_dict()
        github_cache.set(key, data, settings.GITHUB_CACHE_STALE_TTL)
    if history and _history_due(token_hash_value, state):
        rows = _write_history(token_hash_value, [state])
        return rows[0] if rows else None
    return None


def _gate_key(token_hash_value, resource):
    return f"gh:ratelimit:{token_hash_value}:{resource}:history"


def _history_due(token_hash_value, state):
    interval = settings.GITHUB_RATE_LIMIT_HISTORY_INTERVAL
    added = github_cache.add(_gate_key(token_hash_value, state.resource), {"at": state.observed_at}, interval)
    if added is not None:
        return added
    # Cache down: gate per process only.
    with _local_lock:
        last = _local_history.get((token_hash_value, state.resource))
        if last is not None and state.observed_at - last < interval:
            return False
        _local_history[(token_hash_value, state.resource)] = state.observed_at
    return True


def _write_history(token_hash_value, states):
    rows = [
        GitHubRateLimit(
            token_hash=token_hash_value,
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


def store_snapshot(token_hash_value, states):
    """Record states from GET /rate_limit as the latest, and a history row for each."""
    for state in states:
        record_state(token_hash_value, state, history=False)
        # This row counts as the resource's history for the next interval.
        github_cache.set(
            _gate_key(token_hash_value, state.resource),
            {"at": state.observed_at},
            settings.GITHUB_RATE_LIMIT_HISTORY_INTERVAL,
        )
    return _write_history(token_hash_value, states)


def track_now(client=None):
    """Ask GitHub for every resource now (GET /rate_limit is free) and store a row per resource."""
    from githubfeatures.client import get_client

    client = client or get_client()
    return store_snapshot(client.token_hash, client.rate_limit_states())


def refresh_if_older(max_age, client=None, now=None):
    """Latest states; fetched from GET /rate_limit first when the core state is older than ``max_age``.

    Returns (states, refreshed). The fetch's errors propagate (GitHubError and subclasses).
    """
    from githubfeatures.client import get_client

    client = client or get_client()
    now = now if now is not None else time.time()
    states = cached_states(client.token_hash)
    core = states.get("core")
    if core is not None and now - core.observed_at <= max_age:
        return states, False
    for state in client.rate_limit_states():
        record_state(client.token_hash, state)
    return cached_states(client.token_hash), True

