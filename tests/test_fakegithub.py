"""The GitHub simulator itself, with plain HTTP: what tests and the benchmark rely on."""

import subprocess
import sys

import pytest
import requests

from tests.conftest import ROOT
from tests.fakegithub import FakeGitHub

TOKEN = "ghp_simulatorSelfTest"


@pytest.fixture
def fake():
    fake = FakeGitHub(token=TOKEN).start()
    fake.add_repo("octo", "repo")
    yield fake
    fake.stop()


@pytest.fixture
def http(fake):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    session.base = fake.url
    yield session
    session.close()


def get(http, path, **kwargs):
    return http.get(http.base + path, **kwargs)


def test_bodies_come_from_the_recorded_samples(fake):
    assert set(fake.templates["recorded"]) == {"repository", "issue", "label", "pull", "workflow"}
    info = fake.repo("octo", "repo").info
    assert info["full_name"] == "octo/repo" and info["owner"]["login"] == "octo"
    assert "octokit-fixture-org" not in str(info)


def test_built_in_bodies_without_samples(tmp_path):
    with FakeGitHub(samples_dir=tmp_path) as fake:
        fake.add_repo("octo", "repo")
        response = requests.get(f"{fake.url}/repos/octo/repo/pulls")
    assert fake.templates["recorded"] == []
    assert response.status_code == 200 and response.json()[0]["head"]["label"].startswith("octo:")


def test_etag_304_and_what_it_costs(fake, http):
    first = get(http, "/repos/octo/repo")
    again = get(http, "/repos/octo/repo", headers={"If-None-Match": first.headers["ETag"]})
    by_date = get(http, "/repos/octo/repo", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    fake.change("octo", "repo", "info")
    changed = get(http, "/repos/octo/repo", headers={"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200 and first.headers["ETag"].startswith('"')
    assert (again.status_code, again.content, by_date.status_code) == (304, b"", 304)
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert [r.cost for r in fake.requests] == [1, 0, 0, 1]
    assert changed.headers["X-RateLimit-Remaining"] == "4998"
    assert changed.headers["X-RateLimit-Used"] == "2"
    assert changed.headers["X-RateLimit-Resource"] == "core"


def test_link_pagination_and_filters(fake, http):
    fake.change("octo", "repo", "issues")
    pages, url = [], http.base + "/repos/octo/repo/issues?per_page=2"
    while url:
        response = http.get(url)
        pages.append(response.json())
        url = response.links.get("next", {}).get("url")
    assert [len(page) for page in pages] == [2, 2, 2]
    bug = get(http, "/repos/octo/repo/issues", params={"labels": "bug", "state": "all"}).json()
    assert bug and all("bug" in [label["name"] for label in issue["labels"]] for issue in bug)
    assert get(http, "/repos/octo/repo/pulls", params={"state": "closed"}).json() == []
    assert get(http, "/repos/octo/repo/actions/workflows").json()["total_count"] == 2


def test_labels_crud_with_encoded_names_and_422(fake, http):
    created = http.post(http.base + "/repos/octo/repo/labels", json={"name": "a b/🚀", "color": "aabbcc"})
    invalid = http.post(http.base + "/repos/octo/repo/labels", json={"name": "x", "color": "zz"})
    duplicate = http.post(http.base + "/repos/octo/repo/labels", json={"name": "A B/🚀", "color": "aabbcc"})
    renamed = http.patch(http.base + "/repos/octo/repo/labels/a%20b%2F%F0%9F%9A%80", json={"new_name": "c"})
    deleted = http.delete(http.base + "/repos/octo/repo/labels/c")

    assert created.status_code == 201 and created.headers["Location"].endswith("/labels/a%20b%2F%F0%9F%9A%80")
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "color"
    assert duplicate.json()["errors"][0]["code"] == "already_exists"
    assert renamed.json()["name"] == "c" and deleted.status_code == 204


def test_hooks_pings_and_deliveries_with_cursor_pagination(fake, http):
    hook = http.post(http.base + "/repos/octo/repo/hooks", json={"config": {"url": "https://x.test", "secret": "s"}})
    hook_id = hook.json()["id"]
    updated = http.patch(http.base + f"/repos/octo/repo/hooks/{hook_id}", json={"add_events": ["issues"]})
    ping = http.post(http.base + f"/repos/octo/repo/hooks/{hook_id}/pings")
    failed = fake.seed_delivery("octo", "repo", hook_id, status_code=500, guid="guid-1")
    for _ in range(150):
        fake.seed_delivery("octo", "repo", hook_id)

    seen, url = [], http.base + f"/repos/octo/repo/hooks/{hook_id}/deliveries?per_page=100"
    while url:
        response = http.get(url)
        seen += response.json()
        url = response.links.get("next", {}).get("url")
    redelivered = http.post(http.base + f"/repos/octo/repo/hooks/{hook_id}/deliveries/{failed['id']}/attempts")
    latest = get(http, f"/repos/octo/repo/hooks/{hook_id}/deliveries", params={"per_page": 1}).json()[0]

    assert hook.status_code == 201 and hook.json()["config"]["secret"] == "********"
    assert "issues" in updated.json()["events"] and ping.status_code == 204
    assert len(seen) == 152 and len({d["id"] for d in seen}) == 152
    assert redelivered.status_code == 202
    assert (latest["guid"], latest["redelivery"], latest["status_code"]) == ("guid-1", True, 200)


def test_budget_exhaustion_bad_token_and_free_rate_limit(fake, http):
    fake.set_rate_limit(remaining=1)
    assert get(http, "/repos/octo/repo").status_code == 200
    limited = get(http, "/repos/octo/repo")
    rate_limit = get(http, "/rate_limit").json()
    bad = requests.get(fake.url + "/repos/octo/repo", headers={"Authorization": "Bearer nope"})

    assert limited.status_code == 403 and limited.headers["X-RateLimit-Remaining"] == "0"
    assert "rate limit exceeded" in limited.json()["message"]
    assert rate_limit["resources"]["core"]["remaining"] == 0 and rate_limit["rate"]["limit"] == 5000
    assert bad.status_code == 401
    assert fake.stats()["counted"] == 1


def test_injected_faults(fake, http):
    fake.secondary_limit_next(1, retry_after=3)
    fake.fail_next(1, status=503)
    secondary = get(http, "/repos/octo/repo")
    server_error = get(http, "/repos/octo/repo")
    fake.drop_next(1)
    with pytest.raises(requests.ConnectionError):
        get(http, "/repos/octo/repo")

    assert secondary.status_code == 403 and secondary.headers["Retry-After"] == "3"
    assert "secondary rate limit" in secondary.json()["message"]
    assert int(secondary.headers["X-RateLimit-Remaining"]) > 0
    assert server_error.status_code == 503


def test_runs_by_hand():
    result = subprocess.run(
        [sys.executable, "-m", "tests.fakegithub", "--duration", "0.3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert "GitHub simulator on http://127.0.0.1:" in result.stdout
