"""The client's parts that hold state: credentials, the in-process rate-limit store, the throttle."""

import pytest

from github import cache
from github.credentials import TokenCredentials, token_hash
from github.errors import RateLimited
from github.ratelimit_store import MemoryRateLimitStore
from github.sansio import RateLimitState
from github.throttling import Throttle

NOW = 1_700_000_000.0


def test_a_token_credential_never_shows_its_token():
    credentials = TokenCredentials("ghp_secret")
    assert credentials.authorization() == "Bearer ghp_secret"
    assert credentials.key == token_hash("ghp_secret") and "ghp_secret" not in repr(credentials)
    assert TokenCredentials().authorization() is None and TokenCredentials().key == ""


def test_the_memory_store_keeps_the_newest_observation():
    store = MemoryRateLimitStore()
    newer = RateLimitState("core", 5000, 10, 4990, int(NOW) + 60, NOW + 1)
    older = RateLimitState("core", 5000, 20, 4980, int(NOW) + 60, NOW)
    store.record("k", newer)
    store.record("k", older)
    assert store.current("k", "core") == newer and store.current("other", "core") is None


@pytest.fixture
def throttle():
    cache.reset()
    sleeps = []
    store = MemoryRateLimitStore()
    throttle = Throttle(
        rate_limits=store,
        clock=lambda: NOW,
        sleep=sleeps.append,
        max_rate_limit_wait=60,
        secondary_min_wait=60,
        mutation_min_interval=1.0,
        mutation_lock_timeout=5.0,
    )
    throttle.sleeps = sleeps
    return throttle


def test_an_exhausted_resource_is_waited_for_within_the_bound_else_refused_unsent(throttle):
    throttle.rate_limits.record("k", RateLimitState("core", 5000, 0, 5000, int(NOW) + 30, NOW))
    throttle.respect_known_limits("k", "core", wait=True)
    assert throttle.sleeps == [30]
    with pytest.raises(RateLimited) as refused:
        throttle.respect_known_limits("k", "core", wait=False)
    assert (refused.value.sent, refused.value.kind, refused.value.retry_after) == (False, "primary", 30)
    throttle.respect_known_limits("k", "search", wait=False)  # another resource is not held back


def test_secondary_limits_double_on_repeats_and_a_success_ends_the_streak(throttle):
    delays = [throttle.decide("k", 429, {}, None).delay for _ in range(3)]
    assert delays == [60, 120, 240]
    assert throttle.decide("k", 200, {}, None) is None
    assert throttle.decide("k", 429, {}, None).delay == 60


def test_secondary_streaks_are_per_credential(throttle):
    assert [throttle.decide("a", 429, {}, None).delay for _ in range(2)] == [60, 120]
    assert throttle.decide("b", 429, {}, None).delay == 60  # another installation starts afresh
    assert throttle.decide("b", 200, {}, None) is None  # and its success does not end a's streak
    assert throttle.decide("a", 429, {}, None).delay == 240
