"""GitHub misbehaving (the simulator): 502s, timeouts, secondary and exhausted primary limits.

Through the features API as staff: the documented statuses (README, "GitHub
features API"), a stale cached answer where one exists, and the client never
sends GitHub more than the budget allows.
"""

import pytest

pytestmark = pytest.mark.django_db

PULLS = "/api/v1/github/octocat/hello-world/pulls"
UPSTREAM_PULLS = "/repos/octocat/hello-world/pulls"


@pytest.fixture
def expiring_cache(settings):
    """Entries expire at once, so every read goes to GitHub and an old one can be served stale."""
    settings.GITHUB_CACHE_TTL_PULLS = 0


def assert_error(response, status, github_status="any"):
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if github_status != "any":
        assert body["github_status"] == github_status


def test_502s_after_the_retries_are_502_and_retried_a_bounded_number_of_times(staff_client, fake_github, settings):
    fake_github.fail_next(100, status=502)
    assert_error(staff_client.get(PULLS), 502)
    assert len(fake_github.requests_to(UPSTREAM_PULLS)) == settings.GITHUB_RETRY_ATTEMPTS


def test_a_502_burst_shorter_than_the_retries_is_invisible(staff_client, fake_github):
    fake_github.fail_next(2, status=502)
    response = staff_client.get(PULLS)
    assert response.status_code == 200 and response["X-Cache"] == "MISS"


def test_502s_serve_the_expired_entry_marked_stale(staff_client, fake_github, expiring_cache):
    fresh = staff_client.get(PULLS)
    assert fresh["X-Cache"] == "MISS"
    fake_github.fail_next(100, status=502)
    stale = staff_client.get(PULLS)
    assert stale.status_code == 200 and stale["X-Cache"] == "STALE"
    assert stale.json() == fresh.json()


def test_timeouts_are_504_and_stale_when_an_entry_exists(staff_client, fake_github, settings):
    settings.GITHUB_READ_TIMEOUT = 0.3
    settings.GITHUB_RETRY_ATTEMPTS = 2
    fake_github.slow_next(2, delay=1.0)
    assert_error(staff_client.get(PULLS), 504)

    settings.GITHUB_CACHE_TTL_PULLS = 0
    assert staff_client.get(PULLS)["X-Cache"] == "MISS"
    fake_github.slow_next(2, delay=1.0)
    stale = staff_client.get(PULLS)
    assert stale.status_code == 200 and stale["X-Cache"] == "STALE"


def test_a_secondary_limit_is_429_with_retry_after_and_holds_every_request_back(staff_client, fake_github):
    fake_github.secondary_limit_next(1, retry_after=600)
    response = staff_client.get(PULLS)
    assert_error(response, 429)
    assert 590 <= int(response["Retry-After"]) <= 600
    sent = fake_github.stats()["requests"]
    # Other resources too: the block is per token, and nothing is sent while it lasts.
    for path in ("issues", "labels", "info", "workflows"):
        assert_error(staff_client.get(f"/api/v1/github/octocat/hello-world/{path}"), 429)
    assert fake_github.stats()["requests"] == sent


def test_a_secondary_limit_serves_stale_where_an_entry_exists(staff_client, fake_github, expiring_cache):
    assert staff_client.get(PULLS)["X-Cache"] == "MISS"
    fake_github.secondary_limit_next(1, retry_after=600)
    stale = staff_client.get(PULLS)
    assert stale.status_code == 200 and stale["X-Cache"] == "STALE"


def test_an_exhausted_primary_limit_is_429_until_the_reset_and_nothing_more_is_sent(staff_client, fake_github):
    fake_github.set_rate_limit(remaining=0, reset_in=3600)
    response = staff_client.get(PULLS)
    assert_error(response, 429)
    assert 3500 <= int(response["Retry-After"]) <= 3601
    sent = fake_github.stats()["requests"]
    for _ in range(5):
        assert_error(staff_client.get(PULLS + "?state=closed"), 429)
    assert fake_github.stats()["requests"] == sent


def test_the_client_never_spends_more_than_the_budget(staff_client, fake_github):
    """Five requests left: many different reads (each a miss), then none over the budget reach GitHub."""
    fake_github.set_rate_limit(remaining=5, reset_in=3600)
    statuses = []
    for page in range(1, 21):
        statuses.append(staff_client.get(f"{PULLS}?page={page}").status_code)
        statuses.append(staff_client.get(f"/api/v1/github/octocat/hello-world/issues?page={page}").status_code)
    stats = fake_github.stats()
    assert stats["counted"] == 5
    assert statuses.count(200) == 5 and set(statuses) == {200, 429}
    # GitHub never had to refuse us: the client stopped at remaining 0 by itself.
    assert 403 not in stats["by_status"] and 429 not in stats["by_status"]


def test_an_exhausted_limit_serves_stale_where_an_entry_exists(staff_client, fake_github, expiring_cache):
    assert staff_client.get(PULLS)["X-Cache"] == "MISS"
    fake_github.set_rate_limit(remaining=0, reset_in=3600)
    stale = staff_client.get(PULLS)
    assert stale.status_code == 200 and stale["X-Cache"] == "STALE"


def test_dropped_connections_are_retried_then_502(staff_client, fake_github, settings):
    fake_github.drop_next(100)
    assert_error(staff_client.get(PULLS), 502)
    assert len(fake_github.requests_to(UPSTREAM_PULLS)) <= settings.GITHUB_RETRY_ATTEMPTS


def test_writes_are_not_resent_after_a_timeout(staff_client, fake_github, settings):
    """A POST whose answer was lost may have been applied: sending it again could create twice."""
    settings.GITHUB_READ_TIMEOUT = 0.3
    fake_github.slow_next(1, delay=1.0, path="/repos/octocat/hello-world/labels")
    response = staff_client.post(
        "/api/v1/github/octocat/hello-world/labels", {"name": "drill", "color": "00ff00"}, format="json"
    )
    assert_error(response, 504)
    assert len(fake_github.requests_to("/repos/octocat/hello-world/labels", "POST")) == 1
