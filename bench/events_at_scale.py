#!/usr/bin/env python
"""Benchmark: the events API, the admin's big lists and retention with N stored events (issue 18).

    .venv/bin/python bench/events_at_scale.py [--events 1000000] [--requests 5] [--keep] [--skip-retention]
    .venv/bin/python bench/events_at_scale.py --convert [--events 1000000]
    .venv/bin/python bench/events_at_scale.py --compare-previous [--requests 5]

Fills a `ghsvc_bench_scale` database on 127.0.0.1:5432 (created if missing;
``--keep`` reuses what an earlier run stored) with bench/fill.py's events
(~1.2 KB payloads, 200 repositories, 30 days, 97% processed, 2% skipped, 1%
failed), then 200 repositories with a push for every tenth event and a pull
request and an issue for every fiftieth. Each page is requested ``--requests``
times through Django's test client (a staff token for the API, a superuser's
session for the admin), interleaved; the median server time is reported.
``next ×20`` follows the API's next link from page 1 twenty times and reports
the median of those twenty pages.

Retention: prune_events with a 15-day retention removes half the events
(whole days dropped when the table is partitioned, else batches of
WEBHOOK_PRUNE_BATCH_SIZE) while another process stores deliveries through
the receiver as fast as it can; its rate is compared with the same process's
rate, just before, without the prune.

``--convert`` instead fills a fresh ``ghsvc_bench_convert`` database (dropped
first) whose events table is not
partitioned yet (the previous version's), then times ``manage.py
partition_events`` the same way, with the receiver storing deliveries.

``--compare-previous`` times three admin pages on what an earlier run left
(no fill), alternating this version with the previous one's choices in the
same process and database: a DEFAULT partition attached, the first 100 pages
counted exactly, Django's action checkbox widget. The machine's speed drifts
from run to run; this comparison shares it.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ghsvc_bench_scale")
CONVERT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ghsvc_bench_convert"
SECRET = "bench-scale-secret"


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        SECRET_KEY="bench-only-not-secret",
        DJANGO_SETTINGS_MODULE="config.settings",
        GITHUB_WEBHOOK_SECRET=SECRET,
        ROLLUP_FLUSH_SECONDS="5",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def fill_state(count):
    """Repositories, pushes, pull requests and issues in proportion to ``count`` events."""
    from django.utils import timezone

    from repositories.models import Issue, PullRequest, Push, Repository

    now = timezone.now()
    Push.objects.all().delete()
    PullRequest.objects.all().delete()
    Issue.objects.all().delete()
    Repository.objects.all().delete()
    repositories = Repository.objects.bulk_create(
        Repository(github_id=number, full_name=f"bench-org-{number % 20}/repo-{number}", owner_login="b", name="r")
        for number in range(200)
    )
    for first in range(0, count // 10, 50_000):
        Push.objects.bulk_create(
            Push(
                repository=repositories[n % 200],
                delivery_id=str(uuid.uuid5(uuid.NAMESPACE_OID, str(n))),
                ref="refs/heads/main",
                before="0" * 40,
                after=uuid.uuid5(uuid.NAMESPACE_URL, str(n)).hex + "00000000",
                received_at=now - (n / (count // 10)) * (now - now.replace(year=now.year - 1)) / 12,
            )
            for n in range(first, min(first + 50_000, count // 10))
        )
    for model in (PullRequest, Issue):
        model.objects.bulk_create(
            (
                model(
                    repository=repositories[n % 200],
                    number=n // 200 + 1,
                    github_id=n,
                    title=f"Change {n}",
                    state="open",
                )
                for n in range(count // 50)
            ),
            batch_size=5000,
        )


def ingest(seconds):
    """Deliveries stored through the receiver in ``seconds`` (a process of its own); prints the count."""
    setup_django()
    import hashlib
    import hmac

    from django.test import Client

    client = Client()
    body = json.dumps({"action": "opened", "repository": {"full_name": "bench-org-1/repo-1"}, "x": "y" * 1000})
    body = body.encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    stored, deadline, reported = 0, time.monotonic() + seconds, 0.0
    while time.monotonic() < deadline:
        if time.monotonic() - reported >= 0.25:  # the parent reads the rate over any span from these lines
            print(f"{time.time():.3f} {stored}", flush=True)
            reported = time.monotonic()
        response = client.post(
            "/api/v1/webhooks/github",
            body,
            content_type="application/json",
            headers={
                "X-GitHub-Event": "star",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": signature,
            },
        )
        stored += response.status_code == 202


def recreate_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--skip-retention", action="store_true")
    parser.add_argument(
        "--convert", action="store_true", help="time partition_events on a fresh, full, unpartitioned table instead"
    )
    parser.add_argument(
        "--compare-previous", action="store_true", help="alternate this version's admin pages with the previous one's"
    )
    parser.add_argument("--ingest", type=float, help=argparse.SUPPRESS)  # the retention run's ingest process
    args = parser.parse_args()
    if args.ingest:
        return ingest(args.ingest)

    sys.path.insert(0, str(ROOT))
    from bench.subscriptions import ensure_database

    if args.compare_previous:
        setup_django()
        return compare_previous(args.requests)
    if args.convert:
        global DATABASE_URL
        # The ingest process (this script again) reads the same database from the environment.
        DATABASE_URL = os.environ["BENCH_DATABASE_URL"] = CONVERT_DATABASE_URL
        recreate_database(DATABASE_URL)
        setup_django()
        return conversion(args.events)
    ensure_database(DATABASE_URL)
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import ApiToken
    from bench import fill
    from webhooks.models import WebhookEvent

    call_command("migrate", verbosity=0)
    stored = WebhookEvent.objects.count() if args.keep else 0
    if stored < args.events:
        print(f"Filling {args.events:,} events…", flush=True)
        seconds = fill.fill(DATABASE_URL, args.events)
        started = time.perf_counter()
        fill_state(args.events)
        print(f"  filled in {seconds + time.perf_counter() - started:.0f} s", flush=True)
        stored = args.events

    user = get_user_model().objects.filter(username="bench-admin").first()
    user = user or get_user_model().objects.create_superuser("bench-admin", "b@example.test", "bench-pw-0123456789")
    _, token = ApiToken.objects.issue(user, name="bench")
    api, admin = Client(headers={"Authorization": f"Token {token}"}), Client()
    admin.force_login(user)
    some = WebhookEvent.objects.order_by("-received_at").values_list("delivery_id", flat=True)[12345]
    events = "/api/v1/webhooks/events"
    pages = [
        ("API: page 1", api, events),
        ("API: ?repository=o/r", api, f"{events}?repository=bench-org-7/repo-7"),
        ("API: ?event=issues&status=processed", api, f"{events}?event=issues&status=processed"),
        ("API: ?delivery_id=…", api, f"{events}?delivery_id={some}"),
        ("API: ?status=failed", api, f"{events}?status=failed"),
        ("API: page 1 with ?count=true", api, f"{events}?count=true"),
        ("admin: events list", admin, "/admin/webhooks/webhookevent/"),
        ("admin: events, status=failed", admin, "/admin/webhooks/webhookevent/?status__exact=failed"),
        ("admin: events, event=push, last 24 h", admin, "/admin/webhooks/webhookevent/?event=push&within=24h"),
        ("admin: events, search a repository", admin, "/admin/webhooks/webhookevent/?q=bench-org-7/repo-7"),
        ("admin: events, search a delivery id", admin, f"/admin/webhooks/webhookevent/?q={some}"),
        ("admin: events, page 50", admin, "/admin/webhooks/webhookevent/?p=50"),
        ("admin: pushes", admin, "/admin/repositories/push/"),
        ("admin: pull requests", admin, "/admin/repositories/pullrequest/"),
        ("admin: issues, search a title", admin, "/admin/repositories/issue/?q=Change+4242"),
        ("admin: rate-limit history", admin, "/admin/ratelimits/githubratelimit/"),
        ("/metrics", Client(), "/metrics"),
        ("dashboard, 24 h", admin, "/admin/?window=24h"),
        ("reference: /healthz", Client(), "/healthz"),
    ]
    timings = {name: [] for name, _, _ in pages}
    timings["API: next ×20"] = []
    for round_number in range(args.requests + 1):  # the first round warms up and is dropped
        for name, client, url in pages:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
            if round_number:
                timings[name].append(elapsed)
        url = events
        for _ in range(21):
            started = time.perf_counter()
            page = api.get(url).json()
            if round_number and url != events:
                timings["API: next ×20"].append((time.perf_counter() - started) * 1000)
            url = page["next"]
    print(f"\n{stored:,} stored events; median server time of {args.requests} requests each, in this process\n")
    print("| page | ms |")
    print("|---|---:|")
    for name, values in timings.items():
        print(f"| {name} | {median(values):.1f} |")
    if not args.skip_retention:
        retention(stored)


def ingest_rate(during):
    """Deliveries stored per second by the ingest process while ``during()`` runs; (rate, result, seconds)."""
    process = subprocess.Popen([sys.executable, __file__, "--ingest", "3600"], stdout=subprocess.PIPE, text=True)
    time.sleep(5)  # Django set up, connection open
    begin = time.time()
    result = during()
    end = time.time()
    process.terminate()
    samples = [tuple(map(float, line.split())) for line in process.communicate()[0].splitlines() if line]
    first = min(samples, key=lambda sample: abs(sample[0] - begin))
    last = min(samples, key=lambda sample: abs(sample[0] - end))
    return (last[1] - first[1]) / (last[0] - first[0]), result, end - begin


def retention(stored):
    from django.conf import settings

    from bigtables import partitions
    from webhooks.models import WebhookEvent
    from webhooks.retention import prune_events

    baseline, _, _ = ingest_rate(lambda: time.sleep(20))
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 15
    during, deleted, pruned_in = ingest_rate(prune_events)
    how = (
        "whole days dropped"
        if partitions.is_partitioned("webhook_events")
        else f"batches of {settings.WEBHOOK_PRUNE_BATCH_SIZE}"
    )
    print(f"\nRetention: {deleted:,} of {stored:,} events removed in {pruned_in:.1f} s ({how})")
    print(
        f"Ingest (receiver, one process, test client): {baseline:.0f}/s without the prune, {during:.0f}/s "
        f"during it ({during / baseline:.2f}×); {WebhookEvent.objects.count():,} events left"
    )


def conversion(count):
    """``partition_events`` on a full table that is not partitioned yet, while deliveries are stored."""
    from django.core.management import call_command
    from django.db import connection

    from bench import fill

    for app, migration in (("subscriptions", "0002"), ("rollups", None), ("ratelimits", None)):
        call_command("migrate", app, *([migration] if migration else []), verbosity=0)
    print(f"Filling {count:,} events (not partitioned)…", flush=True)
    print(f"  filled in {fill.fill(DATABASE_URL, count):.0f} s", flush=True)
    call_command("migrate", verbosity=0)  # 0008 leaves a full table alone
    baseline, _, _ = ingest_rate(lambda: time.sleep(20))
    during, _, converted_in = ingest_rate(lambda: call_command("partition_events"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) FROM pg_partition_tree('webhook_events')"
        )
        size = cursor.fetchone()[0]
    print(f"\npartition_events on {count:,} events ({size}): {converted_in:.1f} s")
    print(
        f"Ingest (receiver, one process, test client): {baseline:.0f}/s without it, {during:.0f}/s "
        f"during it ({during / baseline:.2f}×)"
    )


def compare_previous(requests):
    """Three admin pages, this version against the previous one's choices, alternated (see the docstring)."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from bigtables import paginators
    from bigtables.admin import BigTableAdmin
    from webhooks.models import WebhookEvent

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    pages = {
        "admin: events, search a repository": "/admin/webhooks/webhookevent/?q=bench-org-7/repo-7",
        "admin: events list": "/admin/webhooks/webhookevent/",
        "admin: pushes (only the checkbox differs)": "/admin/repositories/push/",
    }
    ours = BigTableAdmin.action_checkbox, paginators.EXACT_PAGES

    def become(previous):
        with connection.cursor() as cursor:
            if previous:
                cursor.execute("CREATE TABLE webhook_events_default PARTITION OF webhook_events DEFAULT")
            else:
                cursor.execute("DROP TABLE IF EXISTS webhook_events_default")
        BigTableAdmin.action_checkbox = admin.ModelAdmin.action_checkbox if previous else ours[0]
        paginators.EXACT_PAGES = 100 if previous else ours[1]

    timings = {(version, name): [] for version in ("previous", "this") for name in pages}
    try:
        for round_number in range(requests + 1):  # the first round warms up and is dropped
            for version in ("previous", "this"):
                become(version == "previous")
                for name, url in pages.items():
                    started = time.perf_counter()
                    assert client.get(url).status_code == 200
                    if round_number:
                        timings[(version, name)].append((time.perf_counter() - started) * 1000)
    finally:
        become(False)
    stored = WebhookEvent.objects.count()
    print(f"\n{stored:,} stored events; median ms of {requests} requests each, alternated\n")
    print("| page | previous | this |")
    print("|---|---:|---:|")
    for name in pages:
        print(f"| {name} | {median(timings[('previous', name)]):.1f} | {median(timings[('this', name)]):.1f} |")


if __name__ == "__main__":
    main()
