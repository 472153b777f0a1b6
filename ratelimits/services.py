"""Writes of the ratelimits app: asking GitHub for its rate limits and keeping the answer."""

import time

from api.exceptions import ApplicationError
from github.client import get_client


class RateLimitNotAskable(ApplicationError):
    detail = (
        "GitHub answers GET /rate_limit for tokens, not for the App itself: "
        "track credential=installation:<id> (or token) instead."
    )


def track_now(client=None, credential=None):
    """Ask GitHub for every resource now (GET /rate_limit is free) and store a row per resource.

    ``credential``: whose limits (the client's default credential when None).
    """
    client = client or get_client()
    credential = credential or client.default_credential
    if not credential.asks_rate_limit:
        raise RateLimitNotAskable()
    return client.rate_limits.snapshot(credential.key, client.rate_limit_states(credential))


def refresh_if_older(max_age, client=None, now=None, credential=None):
    """Latest states of ``credential`` (the client's default when None); fetched from GET /rate_limit first
    when the core state is older than ``max_age``.

    Returns (states, refreshed). The fetch's errors propagate (GitHubError and subclasses).
    """
    client = client or get_client()
    now = now if now is not None else time.time()
    store = client.rate_limits
    credential = credential or client.default_credential
    key = credential.key
    states = store.states(key)
    core = states.get("core")
    fresh = core is not None and now - core.observed_at <= max_age
    if fresh or not credential.asks_rate_limit:
        return states, False
    for state in client.rate_limit_states(credential):
        store.record(key, state)
    return store.states(key), True
