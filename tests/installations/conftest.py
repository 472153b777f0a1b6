"""The service as a GitHub App against the simulator: the App registered, one installation, App settings."""

import pytest

from tests.conftest import TEST_SECRET
from tests.fakegithub.apps import generate_app_key

APP_ID = 424242


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
