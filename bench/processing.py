#!/usr/bin/env python
"""Drain benchmark: how fast Celery workers turn 10,000 stored real events into state.

    .venv/bin/python bench/processing.py [--events 10000] [--workers 1 2]

Needs PostgreSQL and Redis (defaults: a `ghsvc_bench` database on
127.0.0.1:5432, created if missing, and Redis db 3 as the broker). For each
worker count it empties the tables, stores N pending events built from the
real payloads in ../shared/github-samples/webhooks (numbers spread over 500
pull requests / issues so rows are not all the same), starts
`celery worker --concurrency=W`, enqueues every event and times until all are
processed. Bounded: gives up after --timeout seconds per run.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ghsvc_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
SAMPLES = Path(os.environ.get("GITHUB_SAMPLES_DIR", ROOT.parent / "shared" / "github-samples")) / "webhooks"


def ensure_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def sample_payloads():
    payloads = []
    for path in sorted(SAMPLES.glob("*/*.json")):
        payloads.append((path.parent.name, json.loads(path.read_bytes())))
    if not payloads:
        sys.exit(f"no samples under {SAMPLES}")
    return payloads


def build_events(count):
    from django.utils import timezone

    from webhooks.models import WebhookEvent

    now = timezone.now()
    events = []
    for index, (event_name, payload) in zip(range(count), itertools.cycle(sample_payloads())):
        payload = json.loads(json.dumps(payload))
        for key in ("pull_request", "issue"):
            if isinstance(payload.get(key), dict):
                payload[key]["number"] = index % 500 + 1
        events.append(
            WebhookEvent(
                delivery_id=str(uuid.uuid4()),
                event=event_name,
                action=payload.get("action", ""),
                repository_full_name=(payload.get("repository") or {}).get("full_name", ""),
                sender_login=payload["sender"]["login"],
                payload=payload,
                received_at=now,
            )
        )
    return events


def make_days(days):
    from datetime import timedelta

    from django.utils import timezone

    from bigtables import partitions
    from webhooks import retention

    if partitions.is_partitioned(retention.EVENTS_TABLE):
        retention.make_days_ahead()
        partitions.make_days(
            retention.EVENTS_TABLE, "received_at", timezone.now() - timedelta(days=days), timezone.now()
        )


def reset_tables():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE webhook_events, webhook_delivery_receipts, commits, pushes, pull_requests, issues, labels, "
            "repositories "
            "RESTART IDENTITY CASCADE"
        )


def run(count, workers, timeout, extra_args=()):
    import redis
    from django.conf import settings

    from webhooks import processing
    from webhooks.models import WebhookEvent

    reset_tables()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    WebhookEvent.objects.bulk_create(build_events(count), batch_size=500)

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--concurrency={workers}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *extra_args,
        ],
        cwd=ROOT,
    )
    try:
        time.sleep(3)  # let the pool fork before the clock starts
        settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS = 0
        started = time.perf_counter()
        enqueued = processing.sweep_pending_events(limit=count)
        enqueue_seconds = time.perf_counter() - started
        done = 0
        while time.perf_counter() - started < timeout:
            done = WebhookEvent.objects.filter(status__in=["processed", "failed"]).count()
            if done >= count:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        failed = WebhookEvent.objects.filter(status="failed").count()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return {
        "workers": workers,
        "events": count,
        "enqueued": enqueued,
        "drained": done,
        "failed": failed,
        "enqueue_s": enqueue_seconds,
        "seconds": elapsed,
        "events_per_s": done / elapsed,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--worker-args", default="", help="extra `celery worker` arguments, e.g. '--pool=threads'")
    parser.add_argument(
        "--days",
        type=int,
        default=90,
        help="day partitions of webhook_events made back from today (PostgreSQL), as a service keeping "
        "WEBHOOK_EVENT_RETENTION_DAYS (90) has",
    )
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    reset_tables()  # past days are cut from the archive while it is empty
    make_days(args.days)
    print(f"{'workers':>7} {'events':>7} {'drained':>7} {'failed':>6} {'enqueue s':>9} {'drain s':>8} {'events/s':>9}")
    for workers in args.workers:
        result = run(args.events, workers, args.timeout, args.worker_args.split())
        print(
            f"{result['workers']:>7} {result['events']:>7} {result['drained']:>7} {result['failed']:>6} "
            f"{result['enqueue_s']:>9.2f} {result['seconds']:>8.2f} {result['events_per_s']:>9.0f}"
        )


if __name__ == "__main__":
    main()
