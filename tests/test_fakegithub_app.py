"""The GitHub simulator as GitHub for a GitHub App, over plain HTTP: JWTs, installations, their tokens."""

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
import requests

from tests.fakegithub import FakeGitHub
from tests.fakegithub.apps import (
    EXP_INVALID,
    EXP_TOO_FAR,
    IAT_INVALID,
    UNDECODABLE,
    generate_app_key,
    make_app_jwt,
)

APP_ID = 4242
PAT = "ghp_simulatorSelfTest"


@pytest.fixture(scope="module")
def key():
    return generate_app_key()


@pytest.fixture(scope="module")
def other_key():
    return generate_app_key()


@pytest.fixture
def fake(key):
    fake = FakeGitHub(token=PAT).start()
    fake.add_repo("octo-org", "repo", pulls=1, issues=1, workflows=1)
    fake.add_repo("octo-org", "other", pulls=1, issues=1, workflows=1)
    fake.add_repo("elsewhere", "public", pulls=1, issues=1, workflows=1)
    fake.add_repo("elsewhere", "secret", pulls=1, issues=1, workflows=1, private=True)
    fake.register_app(app_id=APP_ID, public_key_pem=key[1], slug="fake-app")
    yield fake
    fake.stop()


def jwt_for(fake, key, **claims):
    """A JWT as GitHub's docs build it, on the simulator's clock unless ``now`` says otherwise."""
    claims.setdefault("now", fake.now())
    return make_app_jwt(key[0], claims.pop("iss", str(APP_ID)), **claims)


def call(fake, method, path, credential, **kwargs):
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    return requests.request(method, fake.url + path, headers=headers, timeout=5, **kwargs)


def new_token(fake, key, installation_id, **body):
    response = call(fake, "POST", f"/app/installations/{installation_id}/access_tokens", jwt_for(fake, key), json=body)
    assert response.status_code == 201, response.text
    return response.json()


# --- The App's JWT ---------------------------------------------------------------------------


def test_a_valid_jwt_gets_the_app(fake, key):
    fake.add_installation("octo-org")
    app = fake.apps[APP_ID]
    by_string = call(fake, "GET", "/app", jwt_for(fake, key))
    by_integer = call(fake, "GET", "/app", jwt_for(fake, key, iss=APP_ID))
    by_client_id = call(fake, "GET", "/app", jwt_for(fake, key, iss=app.client_id))

    body = by_string.json()
    assert [r.status_code for r in (by_string, by_integer, by_client_id)] == [200, 200, 200]
    assert (body["id"], body["slug"], body["name"], body["client_id"]) == (
        APP_ID,
        "fake-app",
        "fake-app",
        app.client_id,
    )
    assert body["owner"]["login"] == "octo-org" and body["owner"]["type"] == "Organization"
    assert body["html_url"] == "https://github.com/apps/fake-app"
    assert body["permissions"]["metadata"] == "read" and isinstance(body["events"], list)
    assert body["installations_count"] == 1
    assert "Octocoders" not in str(body)  # restamped from the recorded sample
    assert fake.app_templates["recorded"] == ["app", "installation"]
    # Every JWT request is recorded, the token itself is not.
    recorded = fake.jwt_requests("/app")
    assert len(recorded) == 3 and {r.app_id for r in recorded} == {APP_ID}
    assert {r.headers["Authorization"] for r in recorded} == {"Bearer <redacted>"}
    assert by_string.headers["X-RateLimit-Remaining"] == "4999"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong key", UNDECODABLE),
        ("wrong iss", UNDECODABLE),
        ("not a JWT", UNDECODABLE),
        ("iat in the future", IAT_INVALID),
        ("iat not an integer", IAT_INVALID),
        ("exp too far", EXP_TOO_FAR),
        ("exp too far by a second", EXP_TOO_FAR),
        ("expired", EXP_INVALID),
    ],
)
def test_jwts_github_refuses(fake, key, other_key, case, message):
    now = int(time.time())
    if case == "wrong key":
        token = jwt_for(fake, other_key)
    elif case == "wrong iss":
        token = jwt_for(fake, key, iss=str(APP_ID + 1))
    elif case == "not a JWT":
        token = "not.a.jwt"
    elif case == "iat in the future":
        # The App's clock is right; GitHub's is two minutes behind it, so iat (now - 60) is GitHub's future.
        fake.clock_skew = -120
        token = jwt_for(fake, key, now=now)
    elif case == "iat not an integer":
        token = jwt_for(fake, key, iat=now - 60.5)
    elif case == "exp too far":
        token = jwt_for(fake, key, iat=now - 60, exp=now + 600)
    elif case == "exp too far by a second":
        token = jwt_for(fake, key, iat=now - 60, exp=now + 541)
    else:
        token = jwt_for(fake, key, iat=now - 300, exp=now - 1)

    response = call(fake, "GET", "/app", token)

    assert response.status_code == 401
    assert response.json() == {"message": message, "documentation_url": "https://docs.github.com/rest"}
    assert [r.status for r in fake.jwt_requests()] == [401]


def test_the_date_header_is_the_simulators_clock(fake, key):
    fake.clock_skew = -3600
    behind = call(fake, "GET", "/rate_limit", PAT)
    fake.clock_skew = 86400
    ahead = call(fake, "GET", "/app", jwt_for(fake, key))
    refused = call(fake, "GET", "/app", "x.y.z")

    for response, skew in ((behind, -3600), (ahead, 86400), (refused, 86400)):
        date = parsedate_to_datetime(response.headers["Date"])
        assert response.headers["Date"].endswith(" GMT")
        assert abs(date.timestamp() - (time.time() + skew)) < 5


def test_a_jwt_opens_app_endpoints_only_and_only_a_jwt_opens_them(fake, key):
    installation_id = fake.add_installation("octo-org")
    token = new_token(fake, key, installation_id)["token"]

    jwt_on_repo = call(fake, "GET", "/repos/octo-org/repo", jwt_for(fake, key))
    pat_on_app = call(fake, "GET", "/app", PAT)
    installation_on_app = call(fake, "GET", "/app/installations", token)
    anonymous_on_app = call(fake, "GET", "/repos/octo-org/repo/installation", None)

    assert (jwt_on_repo.status_code, jwt_on_repo.json()["message"]) == (401, "Bad credentials")
    for response in (pat_on_app, installation_on_app, anonymous_on_app):
        assert (response.status_code, response.json()["message"]) == (401, UNDECODABLE)
    assert call(fake, "GET", "/repos/octo-org/repo", PAT).status_code == 200  # the personal token still works


# --- Installations -------------------------------------------------------------------------------


def test_installations_listed_found_by_repository_and_account(fake, key):
    org = fake.add_installation("octo-org")
    user = fake.add_installation("elsewhere", account_type="User", repositories=[("elsewhere", "public")])
    app_jwt = jwt_for(fake, key)

    listed = call(fake, "GET", "/app/installations", app_jwt).json()
    for_repo = call(fake, "GET", "/repos/octo-org/other/installation", app_jwt)
    for_selected = call(fake, "GET", "/repos/elsewhere/public/installation", app_jwt)
    not_selected = call(fake, "GET", "/repos/elsewhere/secret/installation", app_jwt)
    no_such_repo = call(fake, "GET", "/repos/nobody/nothing/installation", app_jwt)
    for_org = call(fake, "GET", "/orgs/octo-org/installation", app_jwt)
    for_user = call(fake, "GET", "/users/elsewhere/installation", app_jwt)
    one = call(fake, "GET", f"/app/installations/{user}", app_jwt).json()

    assert [item["id"] for item in listed] == [org, user]
    first = listed[0]
    assert first["account"]["login"] == "octo-org" and first["account"]["type"] == "Organization"
    assert (first["repository_selection"], first["app_id"], first["target_type"]) == ("all", APP_ID, "Organization")
    assert first["suspended_at"] is None and first["permissions"]["metadata"] == "read"
    assert first["access_tokens_url"].endswith(f"/app/installations/{org}/access_tokens")
    assert for_repo.json()["id"] == org and for_selected.json()["id"] == user
    assert (not_selected.status_code, not_selected.json()["message"]) == (404, "Not Found")
    assert no_such_repo.status_code == 404
    assert for_org.json()["id"] == org and for_user.json()["id"] == user
    assert (one["repository_selection"], one["account"]["type"]) == ("selected", "User")


def test_an_installation_token(fake, key):
    installation_id = fake.add_installation("octo-org", repositories=[("octo-org", "repo")])
    before = fake.now()
    created = new_token(fake, key, installation_id)
    token = created["token"]

    covered = call(fake, "GET", "/repos/octo-org/repo/issues", token)
    with_token_scheme = requests.get(fake.url + "/repos/octo-org/repo", headers={"Authorization": f"token {token}"})
    same_owner = call(fake, "GET", "/repos/octo-org/other", token)
    public_elsewhere = call(fake, "GET", "/repos/elsewhere/public", token)
    private_elsewhere = call(fake, "GET", "/repos/elsewhere/secret", token)
    repositories = call(fake, "GET", "/installation/repositories", token).json()
    user = call(fake, "GET", "/user", token)
    unknown = call(fake, "GET", "/repos/octo-org/repo", "ghs_" + "x" * 36)

    assert token.startswith("ghs_") and len(token) == 40
    expires = datetime.strptime(created["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(expires.timestamp() - (before + 3600)) < 5
    assert created["repository_selection"] == "selected"
    assert [repo["full_name"] for repo in created["repositories"]] == ["octo-org/repo"]
    assert created["permissions"] == fake.installation(installation_id).permissions
    assert covered.status_code == 200 and with_token_scheme.status_code == 200
    for refused in (same_owner, public_elsewhere):
        assert (refused.status_code, refused.json()["message"]) == (403, "Resource not accessible by integration")
    assert (private_elsewhere.status_code, private_elsewhere.json()["message"]) == (404, "Not Found")
    assert [repo["full_name"] for repo in repositories["repositories"]] == ["octo-org/repo"]
    assert repositories["total_count"] == 1
    assert user.status_code == 403
    assert (unknown.status_code, unknown.json()["message"]) == (401, "Bad credentials")
    assert fake.token_requests(installation_id) == 1
    assert {r.installation_id for r in fake.installation_requests(installation_id)} == {installation_id}


def test_an_installation_token_expires_on_the_simulators_clock(fake, key):
    installation_id = fake.add_installation("octo-org")
    fake.installation_token_ttl = 600
    token = new_token(fake, key, installation_id)["token"]

    fresh = call(fake, "GET", "/repos/octo-org/repo", token)
    fake.clock_skew = 599
    nearly = call(fake, "GET", "/repos/octo-org/repo", token)
    fake.clock_skew = 601
    expired = call(fake, "GET", "/repos/octo-org/repo", token)

    assert fresh.status_code == nearly.status_code == 200
    assert (expired.status_code, expired.json()["message"]) == (401, "Bad credentials")


def test_a_token_narrowed_to_repositories_and_permissions(fake, key):
    installation_id = fake.add_installation("octo-org")
    narrowed = new_token(fake, key, installation_id, repositories=["other"], permissions={"issues": "read"})
    path = f"/app/installations/{installation_id}/access_tokens"
    too_much = call(fake, "POST", path, jwt_for(fake, key), json={"permissions": {"secrets": "write"}})
    not_there = call(fake, "POST", path, jwt_for(fake, key), json={"repositories": ["public"]})
    token = narrowed["token"]

    read = call(fake, "GET", "/repos/octo-org/other/issues", token)
    write = call(fake, "POST", "/repos/octo-org/other/labels", token, json={"name": "x"})
    other_repo = call(fake, "GET", "/repos/octo-org/repo", token)

    assert narrowed["permissions"] == {"metadata": "read", "issues": "read"}
    assert narrowed["repository_selection"] == "selected"
    assert [repo["full_name"] for repo in narrowed["repositories"]] == ["octo-org/other"]
    assert too_much.status_code == 422 and "not granted" in too_much.json()["message"]
    assert not_there.status_code == 422 and "not accessible to the parent installation" in not_there.json()["message"]
    assert read.status_code == 200
    assert (write.status_code, write.json()["message"]) == (403, "Resource not accessible by integration")
    assert write.headers["X-Accepted-GitHub-Permissions"] == "issues=write; pull_requests=write"
    assert other_repo.status_code == 403


def test_each_installation_has_its_own_rate_limit(fake, key):
    first = fake.add_installation("octo-org")
    second = fake.add_installation("elsewhere", repositories=[("elsewhere", "public")])
    first_token = new_token(fake, key, first)["token"]
    second_token = new_token(fake, key, second)["token"]

    a = [call(fake, "GET", "/repos/octo-org/repo", first_token) for _ in range(3)]
    b = call(fake, "GET", "/repos/elsewhere/public", second_token)
    fake.set_rate_limit(installation=first, remaining=0)
    spent = call(fake, "GET", "/repos/octo-org/repo", first_token)
    other = call(fake, "GET", "/repos/elsewhere/public", second_token)
    # A second token of the same installation shares its budget.
    again = call(fake, "GET", "/repos/octo-org/repo", new_token(fake, key, first)["token"])
    rate_limit = call(fake, "GET", "/rate_limit", second_token).json()

    assert [r.headers["X-RateLimit-Remaining"] for r in a] == ["4999", "4998", "4997"]
    assert b.headers["X-RateLimit-Remaining"] == "4999"
    assert spent.status_code == 403 and spent.headers["X-RateLimit-Remaining"] == "0"
    assert spent.json()["message"].startswith(f"API rate limit exceeded for installation ID {first}.")
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "4998"
    assert again.status_code == 403
    assert rate_limit["resources"]["core"]["remaining"] == 4998
    # Neither the JWT nor the personal token spent anything of theirs.
    assert call(fake, "GET", "/repos/octo-org/repo", PAT).headers["X-RateLimit-Remaining"] == "4999"


def test_a_fresh_token_may_lag(fake, key):
    installation_id = fake.add_installation("octo-org")
    fake.token_lag_next(2)
    lagging = new_token(fake, key, installation_id)["token"]
    next_one = new_token(fake, key, installation_id)["token"]

    statuses = [call(fake, "GET", "/repos/octo-org/repo", lagging).status_code for _ in range(3)]

    assert statuses == [401, 401, 200]
    assert [r.fault for r in fake.installation_requests(installation_id)][:2] == ["token_lag", "token_lag"]
    assert call(fake, "GET", "/repos/octo-org/repo", next_one).status_code == 200


def test_suspended_installation(fake, key):
    installation_id = fake.add_installation("octo-org")
    token = new_token(fake, key, installation_id)["token"]
    fake.suspend_installation(installation_id)

    refused = call(fake, "POST", f"/app/installations/{installation_id}/access_tokens", jwt_for(fake, key))
    with_old_token = call(fake, "GET", "/repos/octo-org/repo", token)
    listed = call(fake, "GET", f"/app/installations/{installation_id}", jwt_for(fake, key)).json()
    fake.unsuspend_installation(installation_id)
    after = new_token(fake, key, installation_id)

    assert (refused.status_code, refused.json()["message"]) == (403, "This installation has been suspended")
    assert (with_old_token.status_code, with_old_token.json()["message"]) == (
        403,
        "This installation has been suspended",
    )
    assert listed["suspended_at"] is not None and listed["suspended_by"]["login"] == "octo-org"
    assert after["token"].startswith("ghs_")
    assert call(fake, "GET", "/repos/octo-org/repo", token).status_code == 200
    assert fake.token_requests(installation_id) == 2  # the refused one created nothing


def test_deleted_installation_and_reinstall(fake, key):
    installation_id = fake.add_installation("octo-org", repositories=[("octo-org", "repo")])
    account_id = fake.installation(installation_id).account["id"]
    token = new_token(fake, key, installation_id)["token"]
    assert call(fake, "GET", "/repos/octo-org/repo", token).status_code == 200

    new_id = fake.reinstall("octo-org")
    app_jwt = jwt_for(fake, key)
    old_token = call(fake, "GET", "/repos/octo-org/repo", token)
    old_id = call(fake, "POST", f"/app/installations/{installation_id}/access_tokens", app_jwt)
    listed = call(fake, "GET", "/app/installations", app_jwt).json()
    found = call(fake, "GET", "/repos/octo-org/repo/installation", app_jwt).json()
    new = new_token(fake, key, new_id)
    fake.delete_installation(new_id)
    gone = call(fake, "GET", "/repos/octo-org/repo", new["token"])

    assert new_id != installation_id
    assert (old_token.status_code, old_token.json()["message"]) == (401, "Bad credentials")
    assert (old_id.status_code, old_id.json()["message"]) == (404, "Not Found")
    assert [item["id"] for item in listed] == [new_id] and found["id"] == new_id
    assert (found["account"]["login"], found["account"]["id"]) == ("octo-org", account_id)  # the same account
    assert [repo["full_name"] for repo in new["repositories"]] == ["octo-org/repo"]  # same settings
    assert (gone.status_code, gone.json()["message"]) == (401, "Bad credentials")
    assert call(fake, "GET", "/repos/octo-org/repo/installation", jwt_for(fake, key)).status_code == 404


def test_app_hook_deliveries_and_redelivery(fake, key):
    installation_id = fake.add_installation("octo-org")
    failed = fake.seed_app_delivery(status_code=502, guid="guid-app", event="issues", installation_id=installation_id)
    for _ in range(40):
        fake.seed_app_delivery(installation_id=installation_id)

    seen, url = [], fake.url + "/app/hook/deliveries?per_page=25"
    while url:
        response = requests.get(url, headers={"Authorization": f"Bearer {jwt_for(fake, key)}"}, timeout=5)
        seen += response.json()
        url = response.links.get("next", {}).get("url")
    one = call(fake, "GET", f"/app/hook/deliveries/{failed['id']}", jwt_for(fake, key)).json()
    redelivered = call(fake, "POST", f"/app/hook/deliveries/{failed['id']}/attempts", jwt_for(fake, key))
    unknown = call(fake, "POST", "/app/hook/deliveries/1/attempts", jwt_for(fake, key))
    latest = call(fake, "GET", "/app/hook/deliveries?per_page=1", jwt_for(fake, key)).json()[0]

    assert len(seen) == 41 and len({d["id"] for d in seen}) == 41
    assert seen[-1]["guid"] == "guid-app" and seen[-1]["status_code"] == 502
    assert seen[-1]["installation_id"] == installation_id
    assert one["status"] == "Invalid HTTP Response: 502" and "request" in one
    assert redelivered.status_code == 202 and unknown.status_code == 404
    assert (latest["guid"], latest["redelivery"], latest["status_code"], latest["event"]) == (
        "guid-app",
        True,
        200,
        "issues",
    )
