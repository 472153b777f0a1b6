"""The features API over real HTTP to the GitHub simulator: /api/v1/github/{owner}/{repo}/..."""

import gzip
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.conftest import TEST_SECRET, post_delivery, requires_redis, sample_json
from webhooks.models import WebhookEvent

BASE = "/api/v1/github/octocat/hello-world"
REPO_PATH = "/repos/octocat/hello-world"


@pytest.fixture
def api(staff_client, fake_github):
    return staff_client


def upstream(fake_github, path, method="GET"):
    return len(fake_github.requests_to(path, method))


@pytest.mark.parametrize(
    "endpoint, path, kind",
    [
        ("info", REPO_PATH, dict),
        ("pulls", f"{REPO_PATH}/pulls", list),
        ("issues", f"{REPO_PATH}/issues", list),
        ("labels", f"{REPO_PATH}/labels", list),
        ("workflows", f"{REPO_PATH}/actions/workflows", dict),
    ],
)
def test_cached_reads_miss_then_hit(api, fake_github, endpoint, path, kind):
    first = api.get(f"{BASE}/{endpoint}")
    second = api.get(f"{BASE}/{endpoint}")
    assert first.status_code == second.status_code == 200
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert isinstance(first.json(), kind)  # GitHub's body as GitHub returned it
    assert first.json() == second.json()
    assert upstream(fake_github, path) == 1


def test_info_is_githubs_repository_object(api):
    body = api.get(f"{BASE}/info").json()
    assert body["full_name"] == "octocat/hello-world"
    assert "owner" in body and "default_branch" in body


def test_expired_entry_is_revalidated_with_a_free_304(api, fake_github, settings):
    settings.GITHUB_CACHE_TTL_INFO = 0
    assert api.get(f"{BASE}/info")["X-Cache"] == "MISS"
    second = api.get(f"{BASE}/info")
    assert second["X-Cache"] == "REVALIDATED"
    assert second.status_code == 200 and second.json()["full_name"] == "octocat/hello-world"
    last = fake_github.requests_to(REPO_PATH)[-1]
    assert last.status == 304 and last.cost == 0


def test_query_parameters_are_passed_and_validated(api, fake_github):
    response = api.get(f"{BASE}/pulls", {"state": "all", "per_page": 2, "sort": "updated", "direction": "asc"})
    assert response.status_code == 200
    sent = fake_github.requests_to(f"{REPO_PATH}/pulls")[-1]
    assert sent.query == {"state": "all", "per_page": "2", "sort": "updated", "direction": "asc"}
    for bad in ({"per_page": 101}, {"state": "weird"}, {"page": 0}, {"direction": "up"}):
        answer = api.get(f"{BASE}/pulls", bad)
        assert answer.status_code == 400, bad
        assert "detail" in answer.json()
    assert api.get(f"{BASE}/issues", {"since": "yesterday"}).status_code == 400
    ok = api.get(f"{BASE}/issues", {"since": "2020-01-01T00:00:00Z", "labels": "bug", "assignee": "*"})
    assert ok.status_code == 200


def test_pagination_link_is_rewritten_to_our_urls(api, fake_github):
    response = api.get(f"{BASE}/issues", {"per_page": 2})
    links = response["Link"]
    assert "testserver/api/v1/github/octocat/hello-world/issues?" in links
    assert fake_github.url not in links
    next_url = links.split(";")[0].strip("<>")
    page_two = api.get(urlsplit(next_url).path, dict(parse_qs(urlsplit(next_url).query)))
    assert page_two.status_code == 200
    assert [i["number"] for i in page_two.json()] != [i["number"] for i in response.json()]


def test_labels_create_update_delete_with_awkward_names(api, fake_github):
    for name in ["needs review", "🐛 bug", "area/api", "100% done?"]:
        created = api.post(f"{BASE}/labels", {"name": name, "color": "f29513", "description": "d"}, format="json")
        assert created.status_code == 201, created.json()
        assert created.json()["name"] == name
        encoded = quote(name, safe="")
        updated = api.patch(f"{BASE}/labels/{encoded}", {"new_name": name + " x", "color": "00ff00"}, format="json")
        assert updated.status_code == 200, updated.json()
        assert updated.json()["name"] == name + " x"
        assert fake_github.requests_to(f"{REPO_PATH}/labels/{encoded}", "PATCH"), name
        deleted = api.delete(f"{BASE}/labels/{quote(name + ' x', safe='')}")
        assert deleted.status_code == 204
    names = [label["name"] for label in api.get(f"{BASE}/labels").json()]
    assert not any(name.startswith(("needs review", "🐛", "area/", "100%")) for name in names)


@pytest.mark.parametrize("color", ["#f29513", "f2951", "zzzzzz", "f29513ff", ""])
def test_label_color_must_be_six_hex_digits(api, fake_github, color):
    response = api.post(f"{BASE}/labels", {"name": "x", "color": color}, format="json")
    assert response.status_code == 400
    assert "color" in response.json()["detail"]
    assert not fake_github.requests_to(f"{REPO_PATH}/labels", "POST")


def test_write_invalidates_the_cached_lists(api, fake_github):
    assert api.get(f"{BASE}/labels")["X-Cache"] == "MISS"
    assert api.get(f"{BASE}/issues")["X-Cache"] == "MISS"
    api.post(f"{BASE}/labels", {"name": "fresh", "color": "aaaaaa"}, format="json")
    labels = api.get(f"{BASE}/labels")
    assert labels["X-Cache"] == "MISS"
    assert "fresh" in [label["name"] for label in labels.json()]
    assert api.get(f"{BASE}/issues")["X-Cache"] == "MISS"


def test_settings_allow_list(api, fake_github):
    response = api.patch(f"{BASE}/settings", {"description": "New words", "has_wiki": False}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] == "New words"
    assert fake_github.requests_to(REPO_PATH, "PATCH")[-1].body == {"description": "New words", "has_wiki": False}
    info = api.get(f"{BASE}/info")
    assert info["X-Cache"] == "MISS" and info.json()["description"] == "New words"

    for body in ({"name": "renamed"}, {"description": "ok", "security_and_analysis": {}}):
        refused = api.patch(f"{BASE}/settings", body, format="json")
        assert refused.status_code == 400
        field = (set(body) - {"description"}).pop()
        assert field in refused.json()["detail"]
    assert api.patch(f"{BASE}/settings", {}, format="json").status_code == 400
    assert api.patch(f"{BASE}/settings", {"visibility": "secret"}, format="json").status_code == 400
    assert len(fake_github.requests_to(REPO_PATH, "PATCH")) == 1


def test_cache_invalidate_endpoint(api, fake_github):
    for endpoint in ("info", "pulls", "labels"):
        api.get(f"{BASE}/{endpoint}")
    response = api.post(f"{BASE}/cache/invalidate")
    assert response.status_code == 200
    assert response.json() == {"deleted": 3}
    assert api.get(f"{BASE}/info")["X-Cache"] == "MISS"
    assert api.post(f"{BASE}/cache/invalidate").json() == {"deleted": 1}


@pytest.mark.parametrize(
    "owner, repo", [("-bad", "x"), ("a" * 40, "x"), ("ok", ".."), ("ok", "bad%20name"), ("o_o", "x")]
)
def test_invalid_names_never_reach_github(api, fake_github, owner, repo):
    response = api.get(f"/api/v1/github/{owner}/{repo}/info")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert fake_github.stats()["requests"] == 0


def test_github_404_is_404(api, fake_github):
    response = api.get("/api/v1/github/octocat/no-such-repo/info")
    assert response.status_code == 404
    assert response.json()["github_status"] == 404
    assert api.delete(f"{BASE}/labels/not-there").status_code == 404


def test_github_422_is_422_with_errors(api, fake_github):
    api.post(f"{BASE}/labels", {"name": "dup", "color": "aaaaaa"}, format="json")
    response = api.post(f"{BASE}/labels", {"name": "dup", "color": "aaaaaa"}, format="json")
    assert response.status_code == 422
    body = response.json()
    assert body["github_status"] == 422
    assert body["errors"] and body["errors"][0]["code"] == "already_exists"


def test_rate_limited_is_429_with_retry_after(api, fake_github, settings):
    settings.GITHUB_MAX_RATE_LIMIT_WAIT = 0
    fake_github.set_rate_limit(remaining=0, reset_in=120)
    response = api.get(f"{BASE}/pulls")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 121
    assert response.json()["detail"].startswith("GitHub's primary rate limit")


def test_github_5xx_after_retries_is_502_and_timeout_is_504(api, fake_github, settings):
    settings.GITHUB_RETRY_ATTEMPTS = 2
    fake_github.fail_next(2, status=502)
    response = api.get(f"{BASE}/info")
    assert response.status_code == 502
    assert response.json()["github_status"] == 502
    settings.GITHUB_READ_TIMEOUT = 0.2
    fake_github.slow_next(5, delay=1.0)
    timeout = api.get(f"{BASE}/pulls")
    assert timeout.status_code == 504


def test_stale_entry_is_served_when_github_fails(api, fake_github, settings):
    settings.GITHUB_CACHE_TTL_PULLS = 0
    settings.GITHUB_RETRY_ATTEMPTS = 1
    assert api.get(f"{BASE}/pulls")["X-Cache"] == "MISS"
    fake_github.fail_next(3, status=503)
    stale = api.get(f"{BASE}/pulls")
    assert stale.status_code == 200
    assert stale["X-Cache"] == "STALE"


def test_our_token_rejected_is_502_for_the_operator(api, fake_github, settings):
    settings.GITHUB_TOKEN = "ghp_not_the_right_token"
    response = api.get(f"{BASE}/info")
    assert response.status_code == 502
    assert "GITHUB_TOKEN" in response.json()["detail"]
    assert "ghp_not_the_right_token" not in response.content.decode()


def test_github_403_permission_is_403(api, fake_github):
    fake_github.fail_next(1, status=403, path=f"{REPO_PATH}/labels")
    response = api.post(f"{BASE}/labels", {"name": "x", "color": "aaaaaa"}, format="json")
    assert response.status_code == 403


def test_features_api_is_staff_only(plain_user_client, client, fake_github):
    assert plain_user_client.get(f"{BASE}/info").status_code == 403
    assert client.get(f"{BASE}/info").status_code in (401, 403)
    assert fake_github.stats()["requests"] == 0


@pytest.mark.parametrize(
    "event, sample, endpoint, fresh",
    [
        ("pull_request", "pull_request/opened.payload.json", "pulls", True),
        ("pull_request", "pull_request/opened.payload.json", "issues", True),
        ("issues", "issues/opened.payload.json", "issues", True),
        ("issues", "issues/opened.payload.json", "labels", False),
        ("label", "label/created.payload.json", "labels", True),
        ("repository", "repository/edited.payload.json", "info", True),
        ("push", "push/with-new-branch.payload.json", "info", True),
        ("workflow_run", "workflow_run/completed.payload.json", "workflows", False),
    ],
)
def test_webhook_event_invalidates_what_it_changes(
    api, fake_github, settings, client, django_capture_on_commit_callbacks, event, sample, endpoint, fresh
):
    """A signed delivery about the repository: the next read is fresh from GitHub."""
    payload = sample_json(sample)
    payload["repository"]["full_name"] = "octocat/hello-world"
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    assert api.get(f"{BASE}/{endpoint}")["X-Cache"] == "MISS"
    assert api.get(f"{BASE}/{endpoint}")["X-Cache"] == "HIT"

    with django_capture_on_commit_callbacks(execute=True):
        response = post_delivery(client, event, payload)
    assert response.status_code == 202
    assert WebhookEvent.objects.get().status == "processed"
    assert api.get(f"{BASE}/{endpoint}")["X-Cache"] == ("MISS" if fresh else "HIT")


def test_push_touching_workflows_invalidates_workflows(
    api, fake_github, settings, client, django_capture_on_commit_callbacks
):
    payload = sample_json("push/with-new-branch.payload.json")
    payload["repository"]["full_name"] = "octocat/hello-world"
    payload["commits"][0]["added"] = [".github/workflows/ci.yml"]
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    api.get(f"{BASE}/workflows")
    assert api.get(f"{BASE}/workflows")["X-Cache"] == "HIT"
    with django_capture_on_commit_callbacks(execute=True):
        post_delivery(client, "push", payload)
    assert api.get(f"{BASE}/workflows")["X-Cache"] == "MISS"


# --- Served as stored: gzip to clients that accept it, our own 304s -----------------


def varies_by_encoding(response):
    return "accept-encoding" in [name.strip().lower() for name in response["Vary"].split(",")]


@pytest.mark.parametrize("cache_state", ["MISS", "HIT"])
def test_gzip_to_clients_that_accept_it_identity_to_the_others(api, cache_state):
    if cache_state == "HIT":
        api.get(f"{BASE}/pulls")
    plain = api.get(f"{BASE}/pulls")
    zipped = api.get(f"{BASE}/pulls", HTTP_ACCEPT_ENCODING="br, gzip;q=0.8")
    refused = api.get(f"{BASE}/pulls", HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    for response in (plain, zipped, refused):
        assert response.status_code == 200 and varies_by_encoding(response)
    assert "Content-Encoding" not in plain and "Content-Encoding" not in refused
    assert zipped["Content-Encoding"] == "gzip" and zipped["Content-Type"] == "application/json"
    assert gzip.decompress(zipped.content) == plain.content == refused.content
    assert len(zipped.content) < len(plain.content) / 3
    # One resource, two representations: the compressed one carries the weak form of the tag.
    assert zipped["ETag"] == "W/" + plain["ETag"].removeprefix("W/")


def test_the_stored_gzip_bytes_are_sent_as_they_are(api):
    """Compressed once when cached, never per request: every HIT sends the same bytes."""
    first = api.get(f"{BASE}/pulls", HTTP_ACCEPT_ENCODING="gzip")
    hits = [api.get(f"{BASE}/pulls", HTTP_ACCEPT_ENCODING="gzip") for _ in range(3)]
    assert {hit["X-Cache"] for hit in hits} == {"HIT"}
    assert {hit.content for hit in hits} == {first.content}


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_if_none_match_with_the_entrys_etag_is_our_own_304(api, fake_github, encoding):
    first = api.get(f"{BASE}/pulls", HTTP_ACCEPT_ENCODING=encoding)
    etag = first["ETag"]
    assert etag
    for given in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        again = api.get(f"{BASE}/pulls", HTTP_IF_NONE_MATCH=given, HTTP_ACCEPT_ENCODING=encoding)
        assert again.status_code == 304, given
        assert again.content == b""
        assert again["ETag"] == etag and varies_by_encoding(again) and again["X-Cache"] == "HIT"
    assert upstream(fake_github, f"{REPO_PATH}/pulls") == 1  # GitHub was asked once, for the MISS

    other = api.get(f"{BASE}/pulls", HTTP_IF_NONE_MATCH='"not-the-etag"', HTTP_ACCEPT_ENCODING=encoding)
    assert other.status_code == 200 and other.content == first.content


def test_a_304_needs_a_valid_token_like_any_read(client, fake_github, staff_client):
    etag = staff_client.get(f"{BASE}/pulls")["ETag"]
    assert client.get(f"{BASE}/pulls", HTTP_IF_NONE_MATCH=etag).status_code == 401


# --- A fresh HIT skips DRF's dispatch; every answer is the one DRF gives ----------------


def _answer(response):
    headers = {name: value for name, value in response.items() if name != "X-Request-ID"}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("endpoint", ["info", "pulls", "labels"])
@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_a_fresh_hit_answers_alike_with_and_without_drf(api, endpoint, encoding):
    assert api.get(f"{BASE}/{endpoint}")["X-Cache"] == "MISS"
    fast = api.get(f"{BASE}/{endpoint}", HTTP_ACCEPT_ENCODING=encoding)
    # A stated media type takes DRF's path (its negotiation decides): the same answer must come back.
    through_drf = api.get(f"{BASE}/{endpoint}", HTTP_ACCEPT="application/json", HTTP_ACCEPT_ENCODING=encoding)
    assert _answer(fast) == _answer(through_drf)
    assert fast["X-Cache"] == "HIT" and "GET" in fast["Allow"]


def test_the_hit_path_refuses_like_drf(client, api, django_user_model, staff_user):
    from accounts.models import ApiToken

    api.get(f"{BASE}/pulls")  # cached now
    assert client.get(f"{BASE}/pulls", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    assert client.get(f"{BASE}/pulls", HTTP_AUTHORIZATION="Token").status_code == 401
    plain = django_user_model.objects.create_user("plain-reader", password="pw-plain-123456")
    plain_token = ApiToken.objects.issue(plain)[1]
    assert client.get(f"{BASE}/pulls", HTTP_AUTHORIZATION=f"Token {plain_token}").status_code == 403
    invalid_name = api.get("/api/v1/github/-starts-with-a-dash/x/pulls")
    assert invalid_name.status_code == 400 and "detail" in invalid_name.json()
    staff_user.is_active = False
    staff_user.save()
    assert api.get(f"{BASE}/pulls").status_code == 401


@requires_redis
def test_a_fresh_hit_with_a_token_skips_drfs_dispatch(api, monkeypatch):
    """The hot path is taken (one Redis round trip, no DRF request): a spy on DRF's initial() shows it."""
    from githubfeatures.views import GitHubRepositoryView

    calls = []
    original = GitHubRepositoryView.initial

    def counting_initial(self, request, *args, **kwargs):
        calls.append(request.path)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(GitHubRepositoryView, "initial", counting_initial)
    api.get(f"{BASE}/pulls")  # the MISS goes through DRF
    assert len(calls) == 1
    for _ in range(3):
        assert api.get(f"{BASE}/pulls")["X-Cache"] == "HIT"
    assert len(calls) == 1
    api.get(f"{BASE}/pulls", {"state": "open"})  # a query: DRF validates it
    api.get(f"{BASE}/pulls", HTTP_ACCEPT="application/json")  # a stated media type: DRF negotiates
    assert len(calls) == 3


@pytest.mark.parametrize(
    "accept_encoding, compressed",
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip;\tq=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=nonsense", False),
        ("x-gzip;q=0", False),
        ("gzip-foo", False),
        ("identity", False),
        ("", False),
    ],
)
def test_accept_encoding_is_parsed_by_the_rfc(rf, accept_encoding, compressed):
    from githubfeatures.conditional import accepts_gzip

    assert accepts_gzip(rf.get("/", HTTP_ACCEPT_ENCODING=accept_encoding)) is compressed


@requires_redis
def test_a_fresh_entry_without_a_json_body_is_rendered_by_drf(api, fake_github):
    """An entry stored as a dict (no gzip body) is served through DRF's renderer, never a 500."""
    from django.core.cache import cache

    from github import cache as github_cache

    assert api.get(f"{BASE}/info").status_code == 200
    [key] = [key for key in cache.keys("gh:*") if ":info:" in key]
    entry = github_cache.CacheEntry.unpack(cache.get(key))
    cache.set(key, {**entry.to_dict(), "gzipped": None, "body": {"name": "as a dict"}}, 60)
    for accept in ("*/*", "application/json"):
        response = api.get(f"{BASE}/info", HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response.json() == {"name": "as a dict"}
        assert response["X-Cache"] == "HIT"


def test_the_settings_allow_list_and_its_serializer_are_kept_in_step_by_a_system_check(monkeypatch):
    from django.core import checks

    from githubfeatures import services

    assert [e for e in checks.run_checks() if e.id == "githubfeatures.E001"] == []
    monkeypatch.setattr(services, "SETTINGS_FIELDS", (*services.SETTINGS_FIELDS, "topics"))
    [error] = [e for e in checks.run_checks() if e.id == "githubfeatures.E001"]
    assert "not declared ['topics']" in error.msg
