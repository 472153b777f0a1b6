"""Changes are in force in every process at once: two real gunicorn workers, per-process caches.

Each worker keeps configs and checked API tokens in memory. Both workers are
warmed first (their caches hold the state before the change), then the change
is made through the API or in another process (as a management command or the
admin would), and the very next requests, served by both workers, must see it.
Run with the shared cache (Redis) and with it unreachable (the database answers).
"""

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import TEST_SECRET, delivery_headers, free_port, requires_postgres, sample_bytes
from tests.drills import conftest as drills

pytestmark = [pytest.mark.slow, requires_postgres, pytest.mark.django_db(transaction=True)]

BODY = sample_bytes("issues/opened.payload.json")
REPOSITORY = "Codertocat/Hello-World"  # the sample's repository.full_name
CONFIGS = "/api/v1/webhooks/configs"
BURST = 20


class TwoWorkers:
    """gunicorn with gunicorn.conf.py and two workers on the test database; the access log names the worker."""

    def __init__(self, tmp_path, redis_url, **env):
        self.access_log = tmp_path / "access.log"
        environment = {
            "REDIS_URL": redis_url,
            # Deliveries are stored and published; no worker runs, nothing here needs them processed.
            "CELERY_BROKER_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:1/0",
            "GUNICORN_ACCESS_LOG": self.access_log,
            **env,
        }
        self.base, self.process = drills.start_gunicorn(
            tmp_path,
            drills.test_database_url(),
            arguments=["--access-logformat", "%(p)s %(s)s"],
            **environment,
        )
        self._until_both_workers_answer()

    def _until_both_workers_answer(self):
        # The port opens with the first worker; on a busy machine the second may still be starting
        # Django, and a burst would all go to the first.
        deadline = time.monotonic() + 60
        while len({line.split()[0] for line in self.log_lines()}) < 2:
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("the second gunicorn worker never answered")
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda _: requests.get(f"{self.base}/healthz", timeout=10), range(8)))
            time.sleep(0.1)  # the access log is written after the answer

    def stop(self):
        drills.stop_gunicorn(self.process)

    def log_lines(self):
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []

    def burst(self, call):
        """``call()`` BURST times over new connections, 8 at once; (statuses, worker pids that answered)."""
        before = len(self.log_lines())
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: call(), range(BURST)))
        deadline = time.monotonic() + 10
        while len(self.log_lines()) < before + BURST and time.monotonic() < deadline:
            time.sleep(0.05)  # the access log is written after the answer
        pids = {line.split()[0] for line in self.log_lines()[before:]}
        return statuses, pids

    def deliver(self, secret):
        headers = {**delivery_headers("issues", BODY, secret=secret, delivery_id=str(uuid.uuid4()))}
        headers["Content-Type"] = "application/json"
        return requests.post(f"{self.base}/api/v1/webhooks/github", data=BODY, headers=headers, timeout=10).status_code

    def deliveries(self, secret):
        return self.burst(lambda: self.deliver(secret))


@pytest.fixture(params=["shared-cache", "shared-cache-unreachable"])
def workers(request, tmp_path):
    if request.param == "shared-cache":
        if not os.environ.get("REDIS_URL"):
            pytest.skip("needs Redis: set REDIS_URL=redis://... (CI does)")
        redis_url = os.environ["REDIS_URL"]
    else:
        redis_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    server = TwoWorkers(tmp_path, redis_url)
    yield server
    server.stop()


@pytest.fixture
def api(staff_token, workers):
    session = requests.Session()
    session.headers["Authorization"] = f"Token {staff_token}"
    return session


def assert_all(statuses_and_pids, status):
    statuses, pids = statuses_and_pids
    assert statuses == [status] * BURST
    assert len(pids) == 2, f"both workers must have answered, saw {pids}"


def test_config_create_rotate_delete_in_force_in_both_workers_at_once(workers, api):
    # Both workers cache "no config for this repository": the global secret signs.
    assert_all(workers.deliveries(TEST_SECRET), 202)

    own_secret = "its-own-secret-" + uuid.uuid4().hex
    created = api.post(
        f"{workers.base}{CONFIGS}",
        json={"repository": REPOSITORY, "url": "https://example.com/hook", "secret": own_secret},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    # The very next deliveries: the config's secret everywhere, the global one nowhere.
    assert_all(workers.deliveries(own_secret), 202)
    assert_all(workers.deliveries(TEST_SECRET), 401)

    rotated_secret = "rotated-secret-" + uuid.uuid4().hex
    config_url = f"{workers.base}{CONFIGS}/{created.json()['id']}"
    assert api.patch(config_url, json={"secret": rotated_secret}, timeout=10).status_code == 200
    assert_all(workers.deliveries(rotated_secret), 202)
    assert_all(workers.deliveries(own_secret), 202)  # the previous secret, within its grace period

    assert api.patch(config_url, json={"active": False}, timeout=10).status_code == 200
    statuses, pids = workers.burst(
        lambda: requests.post(
            f"{workers.base}/api/v1/webhooks/github",
            data=BODY,
            headers={**delivery_headers("issues", BODY, secret=rotated_secret), "Content-Type": "application/json"},
            timeout=10,
        ).json()["status"]
    )
    assert statuses == ["skipped"] * BURST and len(pids) == 2  # deactivated: stored, not processed

    assert api.delete(config_url, timeout=10).status_code == 204
    assert_all(workers.deliveries(TEST_SECRET), 202)
    assert_all(workers.deliveries(rotated_secret), 401)


def test_revoked_token_refused_by_both_workers_at_once(workers, api, staff_token):
    from accounts.models import ApiToken

    events = f"{workers.base}/api/v1/webhooks/events"
    # Both workers have checked the token and trust it from memory.
    assert_all(workers.burst(lambda: api.get(events, timeout=10).status_code), 200)

    # Revoked in this process, as the admin or a management command would.
    ApiToken.objects.all().delete()

    # New connections for each call (a Session would keep one worker).
    headers = {"Authorization": f"Token {staff_token}"}
    assert_all(workers.burst(lambda: requests.get(events, headers=headers, timeout=10).status_code), 401)


def test_deactivated_user_refused_by_both_workers_at_once(workers, staff_token, staff_user):
    events = f"{workers.base}/api/v1/webhooks/events"
    headers = {"Authorization": f"Token {staff_token}"}
    assert_all(workers.burst(lambda: requests.get(events, headers=headers, timeout=10).status_code), 200)

    staff_user.is_active = False
    staff_user.save()

    assert_all(workers.burst(lambda: requests.get(events, headers=headers, timeout=10).status_code), 401)


def test_a_login_does_not_empty_the_token_caches(staff_user):
    """last_login alone changes nothing a token check reads, so no generation is bumped."""
    from django.contrib.auth.signals import user_logged_in

    from coherence.models import Generation

    staff_user.save()  # a real change: the generation exists now
    before = Generation.objects.get(name="api-tokens").value
    user_logged_in.send(sender=type(staff_user), request=None, user=staff_user)  # saves last_login alone
    assert Generation.objects.get(name="api-tokens").value == before
    staff_user.is_staff = False
    staff_user.save()
    assert Generation.objects.get(name="api-tokens").value != before
