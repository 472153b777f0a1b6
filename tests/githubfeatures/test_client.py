"""The GitHub client over real HTTP, against the simulator (tests/fakegithub)."""

import gzip
import hashlib
import json
import logging

import pytest
import requests
from prometheus_client import REGISTRY, generate_latest

from github import cache as github_cache
from github.client import GitHubClient, get_client
from github.errors import GitHubError, GitHubTimeout, GitHubUnavailable, RateLimited
from ratelimits.models import GitHubRateLimit
from tests.conftest import requires_redis
from tests.fakegithub.fixtures import FAKE_TOKEN

INFO = "/repos/{owner}/{repo}"
ISSUES = "/repos/{owner}/{repo}/issues"
LABELS = "/repos/{owner}/{repo}/labels"
LABEL = "/repos/{owner}/{repo}/labels/{name}"
REPO = {"owner": "octocat", "repo": "hello-world"}
INFO_PATH = "/repos/octocat/hello-world"


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Sleeps(list):
    """An injectable sleep that records instead of sleeping."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(fake_github, sleeps):
    client = GitHubClient.from_settings(sleep=sleeps)
    yield client
    client.close()


# --- Requests and caching ------------------------------------------------------------


def test_sends_github_headers_and_bearer_token(client, fake_github):
    client.get(INFO, **REPO)
    request = fake_github.requests_to(INFO_PATH)[0]
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert request.headers["User-Agent"].startswith("ghsvc-github-client/")
    assert request.headers["Authorization"] == "Bearer <redacted>"


def test_cached_get_miss_then_hit_without_asking_github(client, fake_github):
    first = client.cached_get(INFO, resource="info", **REPO)
    second = client.cached_get(INFO, resource="info", **REPO)

    assert (first.cache, first.upstream_status, first.status) == ("MISS", 200, 200)
    assert first.body["full_name"] == "octocat/hello-world"
    assert (second.cache, second.upstream_status) == ("HIT", None)
    assert second.body == first.body and second.etag == first.etag
    assert len(fake_github.requests_to(INFO_PATH)) == 1


def test_expired_entry_is_revalidated_and_a_304_costs_nothing(client, fake_github):
    client.cached_get(INFO, resource="info", ttl=0, **REPO)
    revalidated = client.cached_get(INFO, resource="info", **REPO)

    requests_made = fake_github.requests_to(INFO_PATH)
    assert revalidated.cache == "REVALIDATED" and revalidated.upstream_status == 304
    assert revalidated.body["full_name"] == "octocat/hello-world"
    assert requests_made[1].headers["If-None-Match"] == requests_made[0].headers.get("If-None-Match", revalidated.etag)
    assert requests_made[1].headers["If-Modified-Since"]
    assert [r.status for r in requests_made] == [200, 304]
    assert [r.cost for r in requests_made] == [1, 0]
    # Refreshed: the next read is a hit again.
    assert client.cached_get(INFO, resource="info", **REPO).cache == "HIT"


def test_upstream_change_is_seen_after_the_ttl(client, fake_github):
    first = client.cached_get(ISSUES, resource="issues", ttl=0, **REPO)
    fake_github.change("octocat", "hello-world", "issues")
    changed = client.cached_get(ISSUES, resource="issues", **REPO)

    assert changed.cache == "MISS" and changed.upstream_status == 200
    assert changed.etag != first.etag
    assert len(changed.body) == len(first.body) + 1


def test_link_pagination_is_kept_and_followed(client, fake_github):
    page = client.cached_get(ISSUES, resource="issues", params={"per_page": 2}, **REPO)
    assert page.links["next"].startswith(fake_github.url)
    numbers = [issue["number"] for issue in page.body]
    url = page.links.get("next")
    while url:
        response = client.get(ISSUES, url=url)
        numbers += [issue["number"] for issue in response.body]
        url = response.links.get("next")
    assert len(numbers) == 5 and len(set(numbers)) == 5
    # Hit from the cache, Link included.
    assert client.cached_get(ISSUES, resource="issues", params={"per_page": 2}, **REPO).links == page.links


def test_refuses_to_send_the_token_outside_the_api_url(client):
    with pytest.raises(ValueError):
        client.get(ISSUES, url="https://evil.example/repos/octocat/hello-world/issues")


def test_label_names_are_url_encoded(client, fake_github):
    name = "needs review/🚀 now"
    created = client.post(LABELS, json={"name": name, "color": "ff0000"}, **REPO)
    updated = client.patch(LABEL, name=name, json={"color": "00ff00"}, **REPO)
    fetched = client.get(LABEL, name=name, **REPO)
    client.delete(LABEL, name=name, **REPO)

    assert created.status == 201 and updated.body["color"] == "00ff00"
    assert fetched.body["name"] == name
    assert fake_github.requests[-1].path == "/repos/octocat/hello-world/labels/needs%20review%2F%F0%9F%9A%80%20now"
    with pytest.raises(GitHubError) as error:
        client.get(LABEL, name=name, **REPO)
    assert error.value.status == 404


def test_422_carries_githubs_errors_and_is_not_retried(client, fake_github):
    with pytest.raises(GitHubError) as error:
        client.post(LABELS, json={"name": "x", "color": "not-a-color"}, **REPO)
    assert error.value.status == 422
    assert error.value.errors == [{"resource": "Label", "code": "invalid", "field": "color"}]
    assert len(fake_github.requests_to("/repos/octocat/hello-world/labels", "POST")) == 1


def test_404_and_401_are_errors_not_retried(client, fake_github, settings):
    with pytest.raises(GitHubError) as missing:
        client.cached_get(INFO, resource="info", owner="octocat", repo="nope")
    assert missing.value.status == 404
    assert len(fake_github.requests_to("/repos/octocat/nope")) == 1

    settings.GITHUB_TOKEN = "ghp_wrong"
    with pytest.raises(GitHubError) as rejected:
        GitHubClient.from_settings().get(INFO, **REPO)
    assert rejected.value.status == 401 and not isinstance(rejected.value, RateLimited)


def test_write_invalidates_the_repositorys_cached_reads(client, fake_github):
    client.cached_get(LABELS, resource="labels", **REPO)
    client.post(LABELS, json={"name": "fresh", "color": "ffffff"}, **REPO)
    after = client.cached_get(LABELS, resource="labels", **REPO)
    assert after.cache == "MISS"
    assert "fresh" in [label["name"] for label in after.body]


def test_invalidate_repository_drops_only_that_repository(client, fake_github):
    fake_github.add_repo("octocat", "other")
    client.cached_get(INFO, resource="info", **REPO)
    client.cached_get(ISSUES, resource="issues", **REPO)
    client.cached_get(INFO, resource="info", owner="octocat", repo="other")

    assert client.invalidate("OctoCat", "Hello-World") == 2
    assert client.cached_get(INFO, resource="info", **REPO).cache == "MISS"
    assert client.cached_get(INFO, resource="info", owner="octocat", repo="other").cache == "HIT"


def test_cache_keys_are_namespaced_per_repository_and_resource():
    key = github_cache.cache_key("Octo", "Repo", "pulls", ["/repos/{owner}/{repo}/pulls", {"state": "open"}])
    assert key.startswith("gh:octo/repo:pulls:")
    assert key != github_cache.cache_key("Octo", "Repo", "pulls", ["/repos/{owner}/{repo}/pulls", {"state": "all"}])


# --- Retries ----------------------------------------------------------------------------


def test_5xx_is_retried_with_backoff_then_succeeds(client, fake_github, sleeps):
    fake_github.fail_next(2, status=502)
    before = metric("github_api_retries_total", reason="server_error")

    response = client.get(INFO, **REPO)

    assert response.status == 200
    assert [r.status for r in fake_github.requests_to(INFO_PATH)] == [502, 502, 200]
    assert len(sleeps) == 2 and all(0 < seconds <= 0.1 for seconds in sleeps)
    assert metric("github_api_retries_total", reason="server_error") == before + 2


def test_persistent_5xx_gives_up_after_the_bounded_attempts(client, fake_github, settings):
    fake_github.fail_next(10, status=503)
    with pytest.raises(GitHubUnavailable) as error:
        client.get(INFO, **REPO)
    assert error.value.status == 503
    assert len(fake_github.requests_to(INFO_PATH)) == settings.GITHUB_RETRY_ATTEMPTS


def test_dropped_connection_is_retried(client, fake_github):
    fake_github.drop_next(1)
    assert client.get(INFO, **REPO).status == 200
    assert len(fake_github.requests_to(INFO_PATH)) == 2


def test_slow_github_is_a_timeout(fake_github, settings, sleeps):
    settings.GITHUB_READ_TIMEOUT = 0.2
    settings.GITHUB_RETRY_ATTEMPTS = 2
    fake_github.slow_next(2, delay=0.5)
    with pytest.raises(GitHubTimeout):
        GitHubClient.from_settings(sleep=sleeps).get(INFO, **REPO)
    assert len(fake_github.requests_to(INFO_PATH)) == 2


def test_unreachable_github_serves_a_stale_entry_or_fails(client, fake_github):
    fresh = client.cached_get(INFO, resource="info", ttl=0, **REPO)
    fake_github.stop()
    before = metric("cache_stale_served_total", resource="info")

    stale = client.cached_get(INFO, resource="info", **REPO)

    assert stale.cache == "STALE" and stale.stale
    assert stale.body == fresh.body and stale.status == 200
    assert isinstance(stale.error, GitHubUnavailable)
    assert metric("cache_stale_served_total", resource="info") == before + 1
    with pytest.raises(GitHubUnavailable):
        client.cached_get(ISSUES, resource="issues", **REPO)


# --- Primary rate limit ------------------------------------------------------------------


def test_exhausted_primary_limit_fails_fast_then_is_not_asked_again(client, fake_github, settings):
    settings.GITHUB_MAX_RATE_LIMIT_WAIT = 5
    client = GitHubClient.from_settings(sleep=Sleeps())
    fake_github.set_rate_limit(remaining=0, reset_in=600)

    with pytest.raises(RateLimited) as first:
        client.get(INFO, **REPO)
    with pytest.raises(RateLimited) as second:
        client.get(ISSUES, **REPO)

    assert first.value.kind == "primary" and first.value.sent
    assert first.value.status == 403 and 590 <= first.value.retry_after <= 602
    assert first.value.reset_at.timestamp() == fake_github.set_rate_limit().reset
    assert second.value.sent is False
    # Only the first request reached GitHub.
    assert fake_github.stats()["requests"] == 1


def test_primary_limit_resetting_soon_is_waited_for(fake_github, settings):
    settings.GITHUB_MAX_RATE_LIMIT_WAIT = 5
    fake_github.set_rate_limit(remaining=0, reset_in=1)
    client = get_client()  # real sleep: the simulator's window really resets
    waits_before = metric("github_api_rate_limit_waits_total", kind="primary")

    response = client.get(INFO, **REPO)

    assert response.status == 200
    assert [r.status for r in fake_github.requests_to(INFO_PATH)] == [403, 200]
    assert metric("github_api_rate_limit_waits_total", kind="primary") == waits_before + 1


def test_exhausted_limit_serves_stale_without_asking(client, fake_github, settings):
    settings.GITHUB_MAX_RATE_LIMIT_WAIT = 5
    client = GitHubClient.from_settings(sleep=Sleeps())
    client.cached_get(INFO, resource="info", ttl=0, **REPO)
    fake_github.set_rate_limit(remaining=0, reset_in=600)
    with pytest.raises(RateLimited):
        client.get(ISSUES, **REPO)  # learns that core is exhausted
    fake_github.reset_stats()

    stale = client.cached_get(INFO, resource="info", **REPO)

    assert stale.cache == "STALE" and isinstance(stale.error, RateLimited)
    assert fake_github.stats()["requests"] == 0


def test_rate_limit_state_is_recorded_with_history_at_most_every_interval(client, fake_github):
    client.get(INFO, **REPO)
    client.get(ISSUES, **REPO)

    state = client.rate_limit_states()
    rows = list(GitHubRateLimit.objects.all())
    assert len(rows) == 1  # two responses within the interval: one history row
    assert rows[0].resource == "core" and rows[0].source == "headers"
    assert rows[0].token_hash == hashlib.sha256(FAKE_TOKEN.encode()).hexdigest()
    core = [s for s in state if s.resource == "core"][0]
    assert core.remaining == 4998 and core.limit == 5000
    assert metric("github_api_rate_limit_remaining", resource="core", credential_kind="token") == 4998


# --- Secondary rate limit ------------------------------------------------------------------


def test_secondary_limit_with_retry_after_is_waited_out_longer_on_repeats(client, fake_github, sleeps):
    fake_github.secondary_limit_next(2, retry_after=1)

    response = client.get(INFO, **REPO)

    assert response.status == 200
    assert [r.status for r in fake_github.requests_to(INFO_PATH)] == [403, 403, 200]
    assert sleeps == [1, 2]


def test_secondary_limit_without_retry_after_and_remaining_left_fails_fast(client, fake_github, settings):
    settings.GITHUB_MAX_RATE_LIMIT_WAIT = 5
    client = GitHubClient.from_settings(sleep=Sleeps())
    fake_github.secondary_limit_next(1, retry_after=None, status=403)

    with pytest.raises(RateLimited) as error:
        client.get(INFO, **REPO)
    with pytest.raises(RateLimited) as held_back:
        client.get(ISSUES, **REPO)

    assert error.value.kind == "secondary" and error.value.retry_after == 60
    assert error.value.headers["x-ratelimit-remaining"] != "0"
    assert held_back.value.sent is False and held_back.value.kind == "secondary"
    assert fake_github.stats()["requests"] == 1


def test_429_is_a_secondary_limit(client, fake_github, sleeps):
    fake_github.secondary_limit_next(1, retry_after=2, status=429)
    assert client.get(INFO, **REPO).status == 200
    assert sleeps == [2]


def test_mutations_are_spaced_at_least_the_interval_apart(fake_github, settings, sleeps):
    settings.GITHUB_MUTATION_MIN_INTERVAL = 1.0
    client = GitHubClient.from_settings(sleep=sleeps)
    client.post(LABELS, json={"name": "one", "color": "ffffff"}, **REPO)
    client.post(LABELS, json={"name": "two", "color": "ffffff"}, **REPO)
    client.get(INFO, **REPO)  # reads are not spaced

    assert len(sleeps) == 1 and 0.9 < sleeps[0] <= 1.0


# --- Redis down and secrets ---------------------------------------------------------------


def test_cache_down_works_uncached_logs_once_and_counts(client, fake_github, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SERIALIZER": "config.cache_serializers.JSONSerializer",  # as in settings
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    client = GitHubClient.from_settings(sleep=Sleeps())
    before = sum(metric("cache_fallbacks_total", operation=op) for op in ("get", "set", "delete", "lock"))

    with caplog.at_level(logging.WARNING, logger="github.cache"):
        first = client.cached_get(INFO, resource="info", **REPO)
        second = client.cached_get(INFO, resource="info", **REPO)
        client.post(LABELS, json={"name": "while-down", "color": "ffffff"}, **REPO)

    assert (first.cache, second.cache) == ("MISS", "MISS")
    assert len(fake_github.requests_to(INFO_PATH)) == 2
    assert len([r for r in caplog.records if "cache unavailable" in r.getMessage()]) == 1
    after = sum(metric("cache_fallbacks_total", operation=op) for op in ("get", "set", "delete", "lock"))
    assert after > before


def test_token_never_appears_in_logs_metrics_errors_or_records(client, fake_github, caplog, settings):
    settings.GITHUB_MAX_RATE_LIMIT_WAIT = 1
    with caplog.at_level(logging.DEBUG):
        client.cached_get(INFO, resource="info", **REPO)
        fake_github.fail_next(10)
        with pytest.raises(GitHubUnavailable) as unavailable:
            client.get(ISSUES, **REPO)
        fake_github.faults.clear()
        fake_github.set_rate_limit(remaining=0, reset_in=600)
        with pytest.raises(RateLimited) as limited:
            client.get(ISSUES, **REPO)
        client.rate_limit_states()

    texts = [
        caplog.text,
        generate_latest(REGISTRY).decode(),
        repr(client),
        str(unavailable.value),
        str(limited.value),
        repr(limited.value.headers),
        repr(client.cached_get(INFO, resource="info", **REPO)),
        repr(list(GitHubRateLimit.objects.values())),
        repr([vars(r) for r in fake_github.requests]),
    ]
    for text in texts:
        assert FAKE_TOKEN not in text
    exposition = generate_latest(REGISTRY).decode()
    assert 'endpoint="/repos/{owner}/{repo}"' in exposition
    assert "hello-world" not in exposition


def test_shared_client_follows_settings(fake_github, settings):
    client = get_client()
    assert client is get_client()
    assert client.base_url == fake_github.url
    settings.GITHUB_MAX_RATE_LIMIT_WAIT = 7
    assert get_client() is not client and get_client().max_rate_limit_wait == 7


def test_connection_pool_is_reused(client, fake_github):
    for _ in range(3):
        client.get(INFO, **REPO)
    ports = {request.client_port for request in fake_github.requests_to(INFO_PATH)}
    assert len(ports) == 1  # one keep-alive connection from the session's pool
    assert isinstance(client.transport.session, requests.Session)


@requires_redis
def test_writes_wait_for_the_cross_process_lock(fake_github, settings):
    """Another process holding the token's write lock keeps our write from being sent."""
    from django.core.cache import cache

    settings.GITHUB_MUTATION_LOCK_TIMEOUT = 0.3
    client = GitHubClient.from_settings(sleep=Sleeps())
    other_process = cache.lock(f"gh:mutation-lock:{client.credential_key}", timeout=5)
    assert other_process.acquire(blocking=False)
    try:
        with pytest.raises(GitHubUnavailable):
            client.post(LABELS, json={"name": "blocked", "color": "ffffff"}, **REPO)
        assert fake_github.requests_to("/repos/octocat/hello-world/labels", "POST") == []
    finally:
        other_process.release()
    assert client.post(LABELS, json={"name": "free", "color": "ffffff"}, **REPO).status == 201


def test_a_json_body_is_cached_gzipped_once_with_the_metadata_first(client, fake_github):
    """The body is stored compressed, once, as GitHub sent it; a HIT decompresses only on demand."""
    from django.core.cache import cache

    first = client.cached_get(INFO, resource="info", **REPO)
    [key] = [key for key in _cache_keys(cache) if ":info:" in key]
    stored = cache.get(key)
    assert isinstance(stored, bytes)
    metadata, _, gzipped = stored.partition(b"\n")
    assert gzip.decompress(gzipped) == first.content and json.loads(first.content) == first.body
    assert len(gzipped) < len(first.content)
    assert json.loads(metadata)["etag"] == first.etag and "gzipped" not in json.loads(metadata)

    hit = client.cached_get(INFO, resource="info", **REPO)
    assert hit.gzipped == gzipped
    assert (hit.cache, hit.content, hit.body) == ("HIT", first.content, first.body)
    assert len(fake_github.requests_to(INFO_PATH)) == 1


def test_an_entry_stored_as_a_dict_is_served_and_garbage_is_a_miss(client, fake_github):
    """Entries without a JSON text are stored as dicts; a value that is no entry is refetched."""
    from django.core.cache import cache

    first = client.cached_get(INFO, resource="info", **REPO)
    [key] = [key for key in _cache_keys(cache) if ":info:" in key]
    entry = github_cache.CacheEntry.unpack(cache.get(key))
    cache.set(key, {**entry.to_dict(), "gzipped": None, "body": first.body}, 60)

    hit = client.cached_get(INFO, resource="info", **REPO)
    assert (hit.cache, hit.body) == ("HIT", first.body)
    cache.set(key, b"not an entry", 60)
    assert client.cached_get(INFO, resource="info", **REPO).cache == "MISS"
    assert len(fake_github.requests_to(INFO_PATH)) == 2


@requires_redis
def test_a_value_that_does_not_decode_is_a_miss_not_an_outage(client, fake_github):
    from django.core.cache import cache
    from django_redis import get_redis_connection

    client.cached_get(INFO, resource="info", **REPO)
    [key] = [key for key in _cache_keys(cache) if ":info:" in key]
    get_redis_connection("default").set(cache.make_key(key), b"{not json")

    assert client.cached_get(INFO, resource="info", **REPO).cache == "MISS"
    assert github_cache.is_available()
    assert client.cached_get(INFO, resource="info", **REPO).cache == "HIT"


@pytest.mark.parametrize(
    "stored",
    [b"no newline at all", b'{"status": 200}\nnot gzip', b"[1, 2]\n\x1f\x8b not a dict of metadata", b"", "a str"],
)
def test_unpack_refuses_what_pack_did_not_write(stored):
    assert github_cache.CacheEntry.unpack(stored) is None


@pytest.mark.parametrize("text", ["", "[]", '{"name": "caf\u00e9 \u2615", "line": "one\\ntwo"}'])
def test_pack_and_unpack_round_trip(text):
    gzipped = github_cache.compress(text.encode())
    entry = github_cache.CacheEntry(gzipped=gzipped, etag='W/"1"', headers={"link": '<x>; rel="next"'}, fresh_until=9.5)
    assert github_cache.CacheEntry.unpack(entry.pack()) == entry


def _cache_keys(cache):
    if hasattr(cache, "keys"):  # django-redis
        return cache.keys("gh:*")
    return [key.split(":", 2)[-1] for key in cache._cache]  # local memory: "prefix:version:key"
