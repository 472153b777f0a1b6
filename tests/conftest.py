import hashlib
import hmac
import json
import os
import socket
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from tests.fakegithub.fixtures import fake_github  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = Path(os.environ.get("GITHUB_SAMPLES_DIR", ROOT.parent / "shared" / "github-samples"))
WEBHOOK_SAMPLES = SAMPLES_DIR / "webhooks"
API_SAMPLES = SAMPLES_DIR / "api"
TEST_SECRET = "test-secret-for-the-suite-0123456789"
RECEIVER_URL = "/api/v1/webhooks/github"


# The real samples are part of the test contract: missing means failing, never skipping.
MISSING_SAMPLES = f"GitHub samples not found at {SAMPLES_DIR} (set GITHUB_SAMPLES_DIR)"


def pytest_sessionstart(session):
    if not (WEBHOOK_SAMPLES.is_dir() and API_SAMPLES.is_dir()):
        raise pytest.UsageError(MISSING_SAMPLES)


def webhook_sample_files():
    """Every real payload, as (event name, path); the folder is the event."""
    return sorted((path.parent.name, path) for path in WEBHOOK_SAMPLES.glob("*/*.json"))


def sample_path(relative):
    path = WEBHOOK_SAMPLES / relative
    if not path.exists():
        pytest.fail(f"{MISSING_SAMPLES}: no {relative}")
    return path


def sample_bytes(relative):
    return sample_path(relative).read_bytes()


def sample_json(relative):
    return json.loads(sample_bytes(relative))


def sign(body: bytes, secret: str = TEST_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_headers(event, body, secret=TEST_SECRET, delivery_id=None, **extra):
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, secret),
        "User-Agent": "GitHub-Hookshot/test",
    }
    headers.update(extra)
    return headers


def post_delivery(
    client, event, body, *, secret=TEST_SECRET, delivery_id=None, content_type="application/json", **extra
):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    headers = delivery_headers(event, body, secret=secret, delivery_id=delivery_id, **extra)
    return client.generic("POST", RECEIVER_URL, body, content_type=content_type, headers=headers)


def free_port():
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_postgres():
    return connection.vendor == "postgresql"


def is_redis():
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)",
)
requires_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL=redis://... (CI does)"
)


@pytest.fixture(autouse=True)
def _isolated_state(settings):
    """Each test starts with an empty cache, in-process tasks and no global secret."""
    from django.core.cache import cache

    from accounts.authentication import recent_tokens
    from config.celery import app
    from installations.selectors import covering
    from rollups import recorder
    from webhooks.selectors import config_cache

    # Rolled-back tests send no post_delete: forget configs, tokens and installations of earlier tests.
    config_cache.clear()
    recent_tokens.clear()
    covering.clear()
    settings.GITHUB_WEBHOOK_SECRET = ""
    # Counts reach the rollups at once, inside the test's transaction.
    settings.ROLLUP_FLUSH_SECONDS = 0
    recorder.discard()
    # Production uses WhiteNoise's manifest storage, which needs collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    cache.clear()
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def failing_handler():
    """A handler that raises for `star` events until told otherwise."""
    from webhooks import handlers

    state = {"fail": True, "calls": 0}

    def explode(event):
        state["calls"] += 1
        if state["fail"]:
            raise RuntimeError("boom from the test handler")

    handlers.on("star")(explode)
    yield state
    handlers._registry["star"].remove(explode)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("staff", password="pw-staff-123456", is_staff=True)


@pytest.fixture
def staff_token(staff_user):
    from accounts.models import ApiToken

    _, raw_key = ApiToken.objects.issue(staff_user, name="tests")
    return raw_key


@pytest.fixture
def staff_client(staff_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token}")
    return client


@pytest.fixture
def plain_user_client(django_user_model):
    from accounts.models import ApiToken

    user = django_user_model.objects.create_user("plain", password="pw-plain-123456")
    _, raw_key = ApiToken.objects.issue(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
    return client


@pytest.fixture
def webhook_config(db):
    """A config for the repository of most samples (Codertocat/Hello-World)."""
    from webhooks.models import WebhookConfig

    return WebhookConfig.objects.create(
        repository="Codertocat/Hello-World", url="https://hooks.example.test/api/v1/webhooks/github", secret=TEST_SECRET
    )


@pytest.fixture
def real_broker():
    """Publish to the configured Redis broker instead of running tasks in-process."""
    from config.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def broker_down():
    """Point the publisher at a port nobody listens on, then back."""
    from config.celery import app

    good_url = app.conf.broker_url

    def switch(url):
        # Fresh pools for the new URL (the old ones are left to the garbage collector).
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    switch("redis://127.0.0.1:1/0")
    yield lambda: switch(good_url)
    switch(good_url)


@pytest.fixture
def celery_worker_process(real_broker):
    """Start a real `celery worker` (solo pool) on the test database: ``start(**env)``; stopped after the test."""
    import subprocess
    import sys

    processes = []

    def start(**env):
        db = connection.settings_dict
        environment = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "worker-test-only"),
            "GITHUB_WEBHOOK_SECRET": TEST_SECRET,
            **env,
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        processes.append(subprocess.Popen(command, cwd=ROOT, env=environment))
        return processes[-1]

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
