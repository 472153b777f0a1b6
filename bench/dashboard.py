#!/usr/bin/env python
"""Benchmark: the staff dashboard's server time with N stored events (issue 16: under 300 ms at 1,000,000).

    .venv/bin/python bench/dashboard.py [--events 1000000] [--requests 15] [--keep]

Fills a `ghsvc_bench_dash` database on 127.0.0.1:5432 (created if missing;
``--keep`` reuses what an earlier run filled) with bench/fill.py's events,
rollups and rate-limit history, then renders each page in this process through
Django's test client, as a logged-in superuser, and reports the median server
time of ``--requests`` renders (after one warm-up), beside two references in
the same run: `/healthz` (a bare JSON view) and the admin's Webhooks app
index (the admin's own chrome, no dashboard).
"""

import argparse
import os
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ghsvc_bench_dash")

PAGES = [
    ("dashboard, 1 h", "/admin/?window=1h"),
    ("dashboard, 24 h", "/admin/?window=24h"),
    ("dashboard, 7 d", "/admin/?window=7d"),
    ("dashboard, 24 h, event=push", "/admin/?window=24h&event=push"),
    ("reference: admin app index", "/admin/webhooks/"),
    ("reference: /healthz", "/healthz"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="reuse the rows an earlier run stored")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DATABASE_URL=DATABASE_URL, SECRET_KEY="bench-only-not-secret", DJANGO_SETTINGS_MODULE="config.settings"
    )
    os.environ.pop("REDIS_URL", None)  # the dashboard reads the database only
    from bench.subscriptions import ensure_database

    ensure_database(DATABASE_URL)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    from webhooks.models import WebhookEvent

    stored = WebhookEvent.objects.count() if args.keep else 0
    if stored < args.events:
        print(f"Filling {args.events:,} events…", flush=True)
        seconds = fill_module().fill(DATABASE_URL, args.events)
        print(f"  filled in {seconds:.0f} s", flush=True)
        stored = args.events
    from subscriptions.models import Subscription

    for number in range(Subscription.objects.count() + 1, 21):  # the rollups' labels 1..20
        Subscription.objects.create(
            name=f"team service {number}",
            url=f"http://127.0.0.1:9/{number}",
            events=["*"],
            secret=f"whsec_bench{number}",
            active=number % 7 != 0,
        )
    user = get_user_model().objects.filter(username="bench-admin").first()
    user = user or get_user_model().objects.create_superuser("bench-admin", "bench@example.test", "bench-pw-0123456789")
    client = Client()
    client.force_login(user)

    timings = {name: [] for name, _ in PAGES}
    for _ in range(args.requests + 1):  # interleaved; the first round warms up and is dropped
        for name, url in PAGES:
            started = time.perf_counter()
            response = client.get(url)
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    reference = median(timings["reference: admin app index"][1:])
    print(f"\n{stored:,} stored events; median of {args.requests} renders each (server time, this process)\n")
    print("| page | median ms | p90 ms | × admin app index |")
    print("|---|---:|---:|---:|")
    for name, _ in PAGES:
        values = sorted(timings[name][1:])
        p90 = values[int(0.9 * (len(values) - 1))]
        print(f"| {name} | {median(values):.1f} | {p90:.1f} | {median(values) / reference:.2f} |")


def fill_module():
    from bench import fill

    return fill


if __name__ == "__main__":
    main()
