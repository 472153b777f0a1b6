#!/usr/bin/env python
"""Benchmark: processed events fanned out to three local subscribers, end to end.

    .venv/bin/python bench/subscriptions.py [--events 10000] [--repos 20] [--threads 16] [--timeout 900]

Needs PostgreSQL and Redis (defaults: a `ghsvc_bench_subs` database on
127.0.0.1:5432, created if missing, Redis db 4 for cache and broker). Starts the
service as production runs it: gunicorn (2 workers) as the receiver, two Celery
workers (``--pool threads``: sending is waiting on sockets) and beat, all on the
same database and Redis. Three subscribers listen on 127.0.0.1, each
subscribed to every event:

* ``flaky``: answers 503 to 30% of attempts (at random), 200 otherwise;
* ``slow``: answers 200 after 200 ms;
* ``ordered``: answers 200 at once, subscribed with ``ordered: true``.

``--events`` real GitHub deliveries (the samples in ../shared/github-samples,
spread over ``--repos`` repositories) are POSTed signed to the receiver by
``--threads`` threads. The retry schedule is seconds (12 attempts, 0 to 30 s apart).
Counted when every message is delivered (or at the timeout): messages
delivered per subscriber, duplicates by ``webhook-id`` (a second 2xx for one
id), messages out of order at the ordered subscriber (a repository's events
acknowledged out of receipt order), and the time from receipt at our receiver
(the event's ``received_at``) to the subscriber's 2xx: p50, p99, max.
"""

import argparse
import hashlib
import hmac
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ghsvc_bench_subs")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
SAMPLES = Path(os.environ.get("GITHUB_SAMPLES_DIR", ROOT.parent / "shared" / "github-samples")) / "webhooks"
HOOK_SECRET = "bench-hook-secret"
RETRY_SCHEDULE = "0,1,1,2,2,4,4,8,8,16,16,30"  # 12 attempts: 0.3^12 leaves no message undelivered
SERVICE_ENV = {
    "GITHUB_WEBHOOK_SECRET": HOOK_SECRET,
    "SUBSCRIPTION_ALLOWED_NETWORKS": "127.0.0.0/8",
    "SUBSCRIPTION_RETRY_SCHEDULE": RETRY_SCHEDULE,
    "SUBSCRIPTION_SWEEP_INTERVAL_SECONDS": "2",
    "WEBHOOK_SWEEP_INTERVAL_SECONDS": "5",
}


class Subscriber:
    """A local endpoint: records each 2xx it gives (webhook-id, delivery id, repository, when)."""

    def __init__(self, name, *, fail_share=0.0, delay=0.0):
        self.name, self.acked, self.attempts = name, [], 0
        self.lock = threading.Lock()
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if delay:
                    time.sleep(delay)
                status = 503 if random.random() < fail_share else 200
                if status == 200:
                    data = json.loads(body)["data"]
                    with subscriber.lock:
                        subscriber.acked.append(
                            (self.headers["webhook-id"], data["delivery_id"], data["repository"], time.time())
                        )
                with subscriber.lock:
                    subscriber.attempts += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/in"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def deliveries(count, repos):
    """(event, body bytes) of real payloads, numbered and spread over ``repos`` repositories."""
    samples = [(path.parent.name, json.loads(path.read_bytes())) for path in sorted(SAMPLES.glob("*/*.json"))]
    samples = [(event, payload) for event, payload in samples if isinstance(payload.get("repository"), dict)]
    if not samples:
        sys.exit(f"no samples under {SAMPLES}")
    for index, (event, payload) in zip(range(count), itertools.cycle(samples)):
        payload = json.loads(json.dumps(payload))
        number = index % repos
        payload["repository"].update(id=900_000 + number, name=f"repo-{number}", full_name=f"bench-org/repo-{number}")
        for key in ("pull_request", "issue"):
            if isinstance(payload.get(key), dict):
                payload[key]["number"] = index % 500 + 1
        yield event, json.dumps(payload).encode()


def start(command, env):
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--threads", type=int, default=16, help="threads POSTing deliveries to the receiver")
    parser.add_argument("--worker-threads", type=int, default=16, help="threads of each of the two Celery workers")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    import redis
    import requests
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from subscriptions.models import Message
    from subscriptions.services import create_subscription
    from webhooks.models import WebhookEvent

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE subscription_attempts, subscription_messages, subscriptions, webhook_events, "
            "webhook_delivery_receipts, commits, pushes, "
            "pull_requests, issues, labels, repositories RESTART IDENTITY CASCADE"
        )
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()

    subscribers = {
        "flaky": Subscriber("flaky", fail_share=0.3),
        "slow": Subscriber("slow", delay=0.2),
        "ordered": Subscriber("ordered"),
    }
    settings.SUBSCRIPTION_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    for name, subscriber in subscribers.items():
        create_subscription(name=name, url=subscriber.url, events=["*"], ordered=name == "ordered")
    connection.close()

    port = free_port()
    env = {
        **os.environ,
        **SERVICE_ENV,
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "PROMETHEUS_MULTIPROC_DIR": str(Path("/tmp") / f"ghsvc-bench-subs-{os.getpid()}"),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
    }
    Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    worker = [
        *celery, "worker", "--pool=threads", f"--concurrency={args.worker_threads}", "--loglevel=WARNING",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    processes = [
        start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], env),
        start([*worker, "-n", "bench1@%h"], env),
        start([*worker, "-n", "bench2@%h"], env),
        start([*celery, "beat", "--loglevel=WARNING", "-s", f"/tmp/ghsvc-bench-beat-{os.getpid()}"], env),
    ]
    receiver = f"http://127.0.0.1:{port}/api/v1/webhooks/github"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        local = threading.local()

        def post(item):
            event, body = item
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            signature = "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {
                "X-GitHub-Event": event,
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": signature,
                "Content-Type": "application/json",
            }
            return session.post(receiver, data=body, headers=headers, timeout=30).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            statuses = list(pool.map(post, deliveries(args.events, args.repos)))
        posted_seconds = time.monotonic() - started
        expected = statuses.count(202) * len(subscribers)
        while time.monotonic() - started < args.timeout:
            if sum(len(s.acked) for s in subscribers.values()) >= expected:
                break
            time.sleep(0.5)
        total_seconds = time.monotonic() - started
    finally:
        for process in processes:
            stop(process)

    received = {
        delivery_id: (event_id, received_at.timestamp())
        for delivery_id, event_id, received_at in WebhookEvent.objects.values_list("delivery_id", "id", "received_at")
    }
    print(
        f"{args.events} deliveries over {args.repos} repositories: {statuses.count(202)} accepted, posted in "
        f"{posted_seconds:.1f} s; 2 gunicorn workers, 2 Celery workers x {args.worker_threads} threads, beat"
    )
    processed = WebhookEvent.objects.filter(status="processed").count()
    pings = WebhookEvent.objects.filter(event="ping").count()
    print(f"events processed {processed} (GitHub pings among them, answered 200, not sent on: {pings})")
    print(f"total time from the first POST to the last 2xx: {total_seconds:.1f} s")
    columns = ("delivered", "attempts", "dupes", "disorder", "p50 s", "p99 s", "max s")
    print(f"{'subscriber':>10} " + " ".join(f"{column:>9}" for column in columns))
    all_delivered = True
    for name, subscriber in subscribers.items():
        ids = [acked[0] for acked in subscriber.acked]
        duplicates = len(ids) - len(set(ids))
        latencies = [at - received[delivery][1] for _, delivery, _, at in subscriber.acked if delivery in received]
        disorder = 0
        last = {}
        for _, delivery, repository, _ in subscriber.acked:
            sequence = received[delivery][0]
            if sequence < last.get(repository, 0):
                disorder += 1
            last[repository] = max(sequence, last.get(repository, 0))
        delivered = Message.objects.filter(subscription__name=name, status="delivered").count()
        all_delivered &= delivered == statuses.count(202)
        print(
            f"{name:>10} {delivered:>9} {subscriber.attempts:>9} {duplicates:>9} {disorder:>9} "
            f"{statistics.median(latencies) if latencies else float('nan'):>9.2f} "
            f"{percentile(latencies, 0.99):>9.2f} {max(latencies, default=float('nan')):>9.2f}"
        )
    pending = Message.objects.exclude(status="delivered").count()
    print(f"messages not delivered: {pending}")
    return 0 if all_delivered else 1


if __name__ == "__main__":
    sys.exit(main())
