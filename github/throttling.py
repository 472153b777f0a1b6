"""Not asking GitHub for what it will refuse, and spacing what it asks us to space.

- A resource the rate-limit store knows to be exhausted is not asked again
  before its reset: the client waits if the reset is within
  GITHUB_MAX_RATE_LIMIT_WAIT, otherwise it raises ``RateLimited`` unsent.
- A secondary limit blocks every process of the credential until it passes
  (kept in the shared cache), exponentially longer on repeats.
- Mutating requests go one at a time per credential across processes, at
  least GITHUB_MUTATION_MIN_INTERVAL apart (GitHub's best practices: "make
  requests for a single user or client ID serially" and "wait at least one
  second between each request" that creates, updates or deletes content).
"""

import logging
import math
import threading
from contextlib import contextmanager

from . import cache, metrics
from .errors import GitHubUnavailable, RateLimited
from .sansio import PRIMARY, SECONDARY, rate_limit_decision

logger = logging.getLogger(__name__)


class Throttle:
    def __init__(
        self,
        *,
        rate_limits,
        clock,
        sleep,
        max_rate_limit_wait,
        secondary_min_wait,
        mutation_min_interval,
        mutation_lock_timeout,
    ):
        self.rate_limits = rate_limits
        self.clock = clock
        self.sleep = sleep
        self.max_rate_limit_wait = max_rate_limit_wait
        self.secondary_min_wait = secondary_min_wait
        self.mutation_min_interval = mutation_min_interval
        self.mutation_lock_timeout = mutation_lock_timeout
        # Per credential: one installation's limits and writes never hold back another's.
        self._secondary_streaks = {}
        self._mutation_locks = {}
        self._last_mutations = {}
        self._locks_lock = threading.Lock()

    # --- Rate limits -----------------------------------------------------------

    def respect_known_limits(self, key, resource, wait):
        """Wait out (or refuse) a limit GitHub already told us about."""
        now = self.clock()
        state = self.rate_limits.current(key, resource)
        if state is not None and state.is_exhausted(now):
            self.wait_or_refuse(PRIMARY, resource, state.reset - now, state.reset_at, wait)
        blocked = cache.get(_secondary_key(key))
        until = blocked["until"] if blocked else 0
        if until > now:
            self.wait_or_refuse(SECONDARY, resource, until - now, None, wait)

    def wait_or_refuse(self, kind, resource, seconds, reset_at, wait):
        delay = max(0, math.ceil(seconds))
        if wait and delay <= self.max_rate_limit_wait:
            self.wait(kind, seconds)
            return
        metrics.GITHUB_API_RATE_LIMITED.labels(kind=kind).inc()
        raise RateLimited(
            f"GitHub {kind} rate limit for {resource}; not sent",
            kind=kind,
            resource=resource,
            reset_at=reset_at,
            retry_after=delay,
            sent=False,
            status=429 if kind == SECONDARY else 403,
        )

    def decide(self, key, status, headers, body):
        """The RateLimitDecision for a response (None if it is not a limit); a secondary one blocks all processes."""
        now = self.clock()
        repeats = self._secondary_streaks.get(key, 0)
        decision = rate_limit_decision(
            status, headers, body, now, secondary_min_wait=self.secondary_min_wait, repeats=repeats
        )
        if decision is None:
            self._secondary_streaks.pop(key, None)
        elif decision.kind == SECONDARY:
            self._secondary_streaks[key] = repeats + 1
            cache.set(_secondary_key(key), {"until": now + decision.delay}, max(1, math.ceil(decision.delay)))
        return decision

    def wait(self, kind, seconds):
        seconds = max(0.0, seconds)
        metrics.GITHUB_API_RATE_LIMIT_WAITS.labels(kind=kind).inc()
        metrics.GITHUB_API_RATE_LIMIT_WAIT_SECONDS.labels(kind=kind).inc(seconds)
        logger.info("waiting %.1fs for a GitHub %s rate limit", seconds, kind)
        self.sleep(seconds)

    # --- Writes ----------------------------------------------------------------

    @contextmanager
    def mutation_slot(self, key):
        """One mutating request at a time per credential (all processes), spaced out."""
        redis_lock = cache.lock(f"gh:mutation-lock:{key}", self.mutation_lock_timeout)
        acquired = False
        if redis_lock is not None:
            try:
                acquired = redis_lock.acquire()
            except Exception as exc:
                cache.note_failure("lock", exc)
                redis_lock = None
            else:
                if not acquired:
                    raise GitHubUnavailable("another process holds the GitHub write lock for too long")
        with self._locks_lock:
            local_lock = self._mutation_locks.setdefault(key, threading.Lock())
        try:
            with local_lock:
                last = cache.get(_mutation_key(key))
                last_at = max(self._last_mutations.get(key, 0.0), last["at"] if last else 0.0)
                gap = last_at + self.mutation_min_interval - self.clock()
                if gap > 0:
                    self.wait(metrics.MUTATION_SPACING, gap)
                try:
                    yield
                finally:
                    self._last_mutations[key] = self.clock()
                    cache.set(
                        _mutation_key(key),
                        {"at": self._last_mutations[key]},
                        max(1, math.ceil(self.mutation_min_interval) + 1),
                    )
        finally:
            if redis_lock is not None and acquired:
                try:
                    redis_lock.release()
                except Exception as exc:
                    # Expired or Redis gone: its timeout frees it anyway.
                    cache.note_failure("lock", exc)


def _secondary_key(key):
    return f"gh:secondary-limit:{key}"


def _mutation_key(key):
    return f"gh:mutation-last:{key}"
