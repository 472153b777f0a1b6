"""The service as a GitHub App against the simulator: the App registered, one installation, App settings."""

import copy

import pytest

from tests.conftest import TEST_SECRET, sample_json
from tests.fakegithub.apps import generate_app_key

APP_ID = 424242
# What GitHub sends with every delivery of the App's own webhook.
APP_HOOK = {
    "X-GitHub-Hook-Installation-Target-Type": "integration",
    "X-GitHub-Hook-Installation-Target-ID": str(APP_ID),
}


def installation_event(action, installation_id, account="octocat"):
    """A real ``installation`` payload, for this installation and account."""
    payload = copy.deepcopy(sample_json("installation/created.payload.json"))
    payload["action"] = action
    installation_event.clock += 1  # GitHub's updated_at moves with every change
    suspended = "2026-11-30T12:00:00Z" if action == "suspend" else None
    payload["installation"].update(id=installation_id, updated_at=installation_event.clock, suspended_at=suspended)
    payload["installation"]["account"]["login"] = account
    payload["repositories"] = [
        {"id": 1, "name": "hello-world", "full_name": f"{account}/hello-world", "private": False}
    ]
    return payload


installation_event.clock = 2_000_000_000


@pytest.fixture(scope="module")
def app_keys():
    return generate_app_key(), generate_app_key()


@pytest.fixture
def github_app(fake_github, settings, app_keys):
    (private_pem, public_pem), _ = app_keys
    fake_github.register_app(app_id=APP_ID, public_key_pem=public_pem, slug="ghsvc-test")
    fake_github.installation_id = fake_github.add_installation(
        "octocat", account_type="User", repositories=[("octocat", "hello-world")]
    )
    settings.GITHUB_APP_ID = str(APP_ID)
    settings.GITHUB_APP_PRIVATE_KEY = private_pem.replace("\n", "\\n")  # as an environment variable holds it
    settings.GITHUB_TOKEN = ""  # App only: no fallback
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    return fake_github
