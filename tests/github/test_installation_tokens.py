"""Installation tokens: one shared, sealed token per installation, refreshed ahead of expiry by one process."""

import threading

import pytest
from django.core.cache import cache as django_cache

from github import cache
from github.errors import GitHubUnavailable
from github.installation_tokens import REFRESH_BEFORE, InstallationCredentials, seal, unseal
from tests.conftest import requires_redis

NOW = 1_700_000_000.0


class Fetches:
    """A stand-in for POST /app/installations/{id}/access_tokens that counts its calls."""

    def __init__(self, lifetime=3600, delay=0.0, clock=lambda: NOW):
        self.count = 0
        self.lifetime = lifetime
        self.delay = delay
        self.clock = clock
        self.lock = threading.Lock()

    def __call__(self):
        if self.delay:
            threading.Event().wait(self.delay)
        with self.lock:
            self.count += 1
            return f"ghs_token{self.count:036d}", self.clock() + self.lifetime


def test_a_sealed_token_opens_only_with_the_same_secret_key(settings):
    sealed = seal("ghs_secret", NOW + 3600, NOW)
    assert "ghs_secret" not in str(sealed)
    assert unseal(sealed) == ("ghs_secret", NOW + 3600, NOW)
    settings.SECRET_KEY = "another-secret-key-another-secret-key-0123456789"
    assert unseal(sealed) is None
    assert unseal({"sealed": "garbage"}) is None and unseal("ghs_plain") is None


def test_the_token_is_stored_sealed_and_reused_until_near_expiry():
    clock = [NOW]
    fetches = Fetches(clock=lambda: clock[0])
    credentials = InstallationCredentials(5, fetch_token=fetches, clock=lambda: clock[0])
    first = credentials.authorization()
    assert first == "token ghs_token" + f"{1:036d}" and fetches.count == 1
    stored = django_cache.get("gh:installation-token:5")
    assert "ghs_token" not in str(stored)  # never plaintext in the cache
    clock[0] += 3600 - REFRESH_BEFORE - 1
    assert credentials.authorization() == first and fetches.count == 1
    clock[0] += 2  # less than REFRESH_BEFORE left: replaced
    assert credentials.authorization() != first and fetches.count == 2


def test_another_process_uses_the_shared_token():
    fetches = Fetches()
    InstallationCredentials(9, fetch_token=fetches, clock=lambda: NOW).authorization()
    other_process = InstallationCredentials(9, fetch_token=fetches, clock=lambda: NOW)
    assert other_process.authorization().startswith("token ghs_") and fetches.count == 1


def concurrent_first_calls(credentials, count):
    barrier = threading.Barrier(count)
    answers = []

    def call():
        barrier.wait()
        answers.append(credentials().authorization())

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_concurrent_first_calls_in_one_process_cost_one_token_request():
    fetches = Fetches(delay=0.2)
    shared = InstallationCredentials(3, fetch_token=fetches, clock=lambda: NOW)
    answers = concurrent_first_calls(lambda: shared, 8)
    assert fetches.count == 1 and len(set(answers)) == 1 and len(answers) == 8


@requires_redis
def test_concurrent_first_calls_of_separate_credentials_share_one_request_through_the_redis_lock():
    """As processes would: each its own credentials object, one Redis lock, one fetch."""
    fetches = Fetches(delay=0.3)
    answers = concurrent_first_calls(lambda: InstallationCredentials(4, fetch_token=fetches, clock=lambda: NOW), 6)
    assert fetches.count == 1 and len(set(answers)) == 1 and len(answers) == 6


def test_a_refused_fresh_token_is_retried_with_backoff_an_old_one_is_not():
    clock = [NOW]
    sleeps = []
    credentials = InstallationCredentials(
        6, fetch_token=Fetches(clock=lambda: clock[0]), clock=lambda: clock[0], sleep=sleeps.append
    )
    credentials.authorization()
    assert [credentials.mend_401({}, None) for _ in range(4)] == [True, True, True, False]
    assert sleeps == [0.5, 1.0, 2.0]
    clock[0] += 60
    assert credentials.mend_401({}, None) is False


def test_dropping_forgets_the_token_everywhere():
    fetches = Fetches()
    credentials = InstallationCredentials(8, fetch_token=fetches, clock=lambda: NOW)
    credentials.authorization()
    credentials.drop()
    assert cache.get("gh:installation-token:8") is None
    credentials.authorization()
    assert fetches.count == 2


def test_a_revoked_token_is_dropped_and_replaced_once():
    clock = [NOW]
    fetches = Fetches(clock=lambda: clock[0])
    credentials = InstallationCredentials(11, fetch_token=fetches, clock=lambda: clock[0], sleep=lambda s: None)
    first = credentials.authorization()
    clock[0] += 120  # no longer fresh: a 401 means GitHub revoked it
    assert credentials.mend_401({}, None) is True
    assert credentials.authorization() != first and fetches.count == 2
    clock[0] += 120
    assert credentials.mend_401({}, None) is True  # the new token gets its own retry
    assert credentials.mend_401({}, None) is False  # dropped already: nothing left to mend
    assert credentials.authorization() and fetches.count == 3


def test_a_failed_refresh_keeps_the_token_that_still_works():
    clock = [NOW]
    fetches = Fetches(clock=lambda: clock[0])
    credentials = InstallationCredentials(12, fetch_token=fetches, clock=lambda: clock[0])
    first = credentials.authorization()
    clock[0] += 3600 - REFRESH_BEFORE + 10  # due for a refresh, 290 s left

    def failing_fetch():
        raise GitHubUnavailable("GitHub answered 502 after retries", status=502)

    credentials._fetch_token = failing_fetch
    assert credentials.authorization() == first
    clock[0] += 290  # expired: no token to fall back on
    with pytest.raises(GitHubUnavailable):
        credentials.authorization()
