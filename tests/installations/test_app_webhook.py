"""The GitHub App's own webhook: verified with GITHUB_APP_WEBHOOK_SECRET, and its failed deliveries redelivered."""

import io
import uuid

from django.core.management import call_command

from tests.conftest import TEST_SECRET, post_delivery, sample_json
from tests.installations.conftest import APP_ID

APP_SECRET = "app-webhook-secret-for-the-tests-0123456789"


def app_headers(app_id=APP_ID):
    return {
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": str(app_id),
    }


def test_the_apps_deliveries_are_verified_with_its_own_secret(client, settings, db):
    settings.GITHUB_APP_ID = str(APP_ID)
    settings.GITHUB_APP_WEBHOOK_SECRET = APP_SECRET
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    payload = sample_json("installation/created.payload.json")
    assert post_delivery(client, "installation", payload, secret=APP_SECRET, **app_headers()).status_code == 202
    # The global secret does not open the App's hook, and the App's secret opens no other hook.
    assert post_delivery(client, "installation", payload, secret=TEST_SECRET, **app_headers()).status_code == 401
    assert (
        post_delivery(client, "installation", payload, secret=APP_SECRET, **app_headers(APP_ID + 1)).status_code == 401
    )
    assert post_delivery(client, "installation", payload, secret=APP_SECRET).status_code == 401


def test_without_an_app_secret_the_apps_deliveries_are_matched_like_any_other(client, settings, db):
    settings.GITHUB_APP_ID = str(APP_ID)
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    payload = sample_json("installation/created.payload.json")
    assert post_delivery(client, "installation", payload, secret=TEST_SECRET, **app_headers()).status_code == 202


def test_failed_deliveries_of_the_apps_hook_are_redelivered_once(github_app):
    failed = str(uuid.uuid4())
    github_app.seed_app_delivery(guid=failed, status_code=502)
    github_app.seed_app_delivery(guid=str(uuid.uuid4()), status_code=200)
    out = io.StringIO()
    call_command("redeliver_failed", "--since", "24h", stdout=out)
    attempts = [r for r in github_app.requests if r.method == "POST" and r.path.startswith("/app/hook/deliveries/")]
    assert len(attempts) == 1 and attempts[0].credential == "app"
    assert "app" in out.getvalue() and "redelivered 1" in out.getvalue()
