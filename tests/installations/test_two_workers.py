"""App mode under two real gunicorn workers sharing Redis: one installation token for both, refreshed
once before it expires, and an installation event processed by one worker in force in both at once."""

import json
import os
import time
import uuid

import pytest
import requests

from tests.conftest import delivery_headers, requires_postgres
from tests.installations.conftest import APP_HOOK, APP_ID, installation_event
from tests.test_coherence import BURST, TwoWorkers

pytestmark = [pytest.mark.slow, requires_postgres, pytest.mark.django_db(transaction=True)]

APP_HOOK_SECRET = "the-apps-own-hook-secret-" + uuid.uuid4().hex
# The service replaces a token when less than 5 minutes remain: these live 8 s past that.
TOKEN_SECONDS = 300 + 8


@pytest.fixture
def workers(github_app, app_keys, tmp_path):
    if not os.environ.get("REDIS_URL"):
        pytest.fail("needs Redis: set REDIS_URL=redis://... (CI does)")
    (private_pem, _), _ = app_keys
    server = TwoWorkers(
        tmp_path,
        os.environ["REDIS_URL"],
        CELERY_BROKER_URL="",  # deliveries processed in the worker that received them
        GITHUB_API_URL=github_app.url,
        GITHUB_TOKEN="",
        GITHUB_APP_ID=str(APP_ID),
        GITHUB_APP_PRIVATE_KEY=private_pem.replace("\n", "\\n"),
        GITHUB_APP_WEBHOOK_SECRET=APP_HOOK_SECRET,
        GITHUB_RATE_LIMIT_STATUS_MAX_AGE="0",  # every status answer asks GitHub, with the installation's token
    )
    yield server
    server.stop()


def test_two_workers_share_one_token_refresh_it_once_and_see_installation_events_at_once(
    github_app, workers, staff_token
):
    api = requests.Session()
    api.headers["Authorization"] = f"Token {staff_token}"
    installation = github_app.installation_id
    github_app.installation_token_ttl = TOKEN_SECONDS

    def deliver(action):
        body = json.dumps(installation_event(action, installation)).encode()
        headers = {**delivery_headers("installation", body, secret=APP_HOOK_SECRET), **APP_HOOK}
        headers["Content-Type"] = "application/json"
        response = requests.post(f"{workers.base}/api/v1/webhooks/github", data=body, headers=headers, timeout=10)
        assert response.status_code == 202, response.text

    def budget():
        # GET /rate_limit as the installation, on every call: each needs the installation's token.
        return api.get(
            f"{workers.base}/api/v1/rate-limits/status", params={"credential": f"installation:{installation}"}
        ).status_code

    def labels():
        return api.get(f"{workers.base}/api/v1/github/octocat/hello-world/labels", timeout=10).status_code

    deliver("created")
    first = time.monotonic()
    statuses, pids = workers.burst(budget)
    assert statuses == [200] * BURST and len(pids) == 2, (statuses, pids)
    assert github_app.token_requests(installation) == 1  # minted by one worker, used by both

    # Past the refresh point, before the token expires: replaced once for both workers, no refusal.
    time.sleep(max(0.0, first + TOKEN_SECONDS - 300 + 0.5 - time.monotonic()))
    statuses, pids = workers.burst(budget)
    assert statuses == [200] * BURST and len(pids) == 2, (statuses, pids)
    assert github_app.token_requests(installation) == 2
    assert not [r for r in github_app.requests if r.status == 401]

    # An installation event one worker processes is in force in both at once.
    github_app.suspend_installation(installation)
    deliver("suspend")
    statuses, pids = workers.burst(labels)
    assert statuses == [403] * BURST and len(pids) == 2, (statuses, pids)
    github_app.unsuspend_installation(installation)
    deliver("unsuspend")
    statuses, pids = workers.burst(labels)
    assert statuses == [200] * BURST and len(pids) == 2, (statuses, pids)
