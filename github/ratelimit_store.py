"""Where the client keeps what GitHub said about a credential's rate limits.

The client records the state of every response (``record``) and reads it
before sending (``current``) so an exhausted resource is not asked again.
``MemoryRateLimitStore`` keeps it in this process; the service configures a
store shared by every process, with history (``GITHUB_RATE_LIMIT_STORE``,
``ratelimits.store.RateLimitStore``).
"""

import threading


class MemoryRateLimitStore:
    """Latest state per credential and resource, in this process only."""

    def __init__(self):
        self._states = {}
        self._lock = threading.Lock()

    def record(self, key, state, *, history=True):
        """Keep ``state`` as the latest for its resource, unless a newer one is kept."""
        with self._lock:
            states = self._states.setdefault(key, {})
            previous = states.get(state.resource)
            if previous is None or previous.observed_at <= state.observed_at:
                states[state.resource] = state

    def states(self, key):
        """resource -> RateLimitState of one credential."""
        with self._lock:
            return dict(self._states.get(key, {}))

    def current(self, key, resource):
        return self.states(key).get(resource)

    def reset(self):
        with self._lock:
            self._states.clear()
