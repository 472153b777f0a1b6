"""pytest fixtures for the GitHub simulator.

``fake_github`` (with database access: the client records rate-limit history)
starts a FakeGitHub on 127.0.0.1 (random port), points
GITHUB_API_URL / GITHUB_TOKEN at it (the shared client is rebuilt through the
setting_changed signal), seeds ``octocat/hello-world`` and stops it after the test.
"""

import pytest

from .server import FakeGitHub

FAKE_TOKEN = "ghp_fakeTokenForTheSimulator0123456789ABCD"


@pytest.fixture
def fake_github(settings, db):
    from github.client import reset_client

    fake = FakeGitHub(token=FAKE_TOKEN).start()
    fake.add_repo("octocat", "hello-world")
    settings.GITHUB_API_URL = fake.url
    settings.GITHUB_TOKEN = FAKE_TOKEN
    # Tests must not spend real seconds on backoff or write spacing unless they ask to.
    settings.GITHUB_RETRY_BACKOFF_INITIAL = 0.01
    settings.GITHUB_RETRY_BACKOFF_MAX = 0.05
    settings.GITHUB_RETRY_JITTER = 0.01
    settings.GITHUB_MUTATION_MIN_INTERVAL = 0.0
    settings.GITHUB_READ_TIMEOUT = 2.0
    reset_client()
    yield fake
    fake.stop()
    reset_client()
