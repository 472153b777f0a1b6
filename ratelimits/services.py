"""Writes of the ratelimits app: asking GitHub for its rate limits and keeping the answer."""

import time

from github.client import get_client


def track_now(client=None):
    """Ask GitHub for every resource now (GET /rate_limit is free) and store a row per resource."""
    client = client or get_client()
    return client.rate_limits.snapshot(client.credential_key, client.rate_limit_states())


def refresh_if_older(max_age, client=None, now=None):
    """Latest states; fetched from GET /rate_limit first when the core state is older than ``max_age``.

    Returns (states, refreshed). The fetch's errors propagate (GitHubError and subclasses).
    """
    client = client or get_client()
    now = now if now is not None else time.time()
    store, key = client.rate_limits, client.credential_key
    states = store.states(key)
    core = states.get("core")
    if core is not None and now - core.observed_at <= max_age:
        return states, False
    for state in client.rate_limit_states():
        store.record(key, state)
    return store.states(key), True
