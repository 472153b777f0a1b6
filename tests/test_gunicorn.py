"""Production serving: gunicorn with several workers, metrics summed over all of them."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client import multiprocess

from tests.conftest import ROOT, TEST_SECRET, delivery_headers, free_port, sample_bytes
from tests.test_observability import value

pytestmark = pytest.mark.slow


@pytest.fixture
def gunicorn_server(tmp_path):
    port = free_port()
    env = {
        key: val
        for key, val in os.environ.items()
        if key not in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SECRET_KEY="gunicorn-test-only",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        GITHUB_WEBHOOK_SECRET=TEST_SECRET,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="/dev/null",
        LOG_LEVEL="warning",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    # What `make serve` does before starting gunicorn.
    for command in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        subprocess.run([sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:  # not listening yet, or its workers still booting (a slow machine)
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start")
    yield base, Path(env["PROMETHEUS_MULTIPROC_DIR"])
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_metrics_are_summed_over_all_gunicorn_workers(gunicorn_server):
    base, metrics_dir = gunicorn_server
    body = sample_bytes("issues/opened.payload.json")
    deliveries = 60

    def deliver(_):
        headers = {
            **delivery_headers("issues", body, delivery_id=str(uuid.uuid4())),
            "Content-Type": "application/json",
        }
        return requests.post(f"{base}/api/v1/webhooks/github", data=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(deliver, range(deliveries)))
    assert statuses == [202] * deliveries

    # Each worker wrote its own counts; more than one must have served deliveries.
    per_worker = []
    for path in metrics_dir.glob("counter_*.db"):
        for metric in multiprocess.MultiProcessCollector.merge([str(path)], accumulate=False):
            for sample in metric.samples:
                if sample.name == "webhook_events_received_total" and sample.labels == {
                    "event": "issues",
                    "status": "queued",
                }:
                    per_worker.append(sample.value)
    assert len([count for count in per_worker if count]) >= 2, per_worker

    # Every scrape, whichever worker answers it, reports the sum.
    for _ in range(5):
        text = requests.get(f"{base}/metrics", timeout=5).text
        assert value(text, "webhook_events_received_total", event="issues", status="queued") == deliveries
        assert value(text, "webhook_events_processed_total", event="issues", action="opened") == deliveries
    assert sum(per_worker) == deliveries

    # Production settings under gunicorn: static files served, JSON errors.
    login = requests.get(f"{base}/admin/login/", timeout=5)
    assert login.status_code == 200
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', login.text).group(1)
    assert requests.get(f"{base}{stylesheet}", timeout=5).status_code == 200
    missing = requests.get(f"{base}/api/v1/nope", timeout=5)
    assert missing.status_code == 404 and json.loads(missing.text) == {"detail": "Not found."}
