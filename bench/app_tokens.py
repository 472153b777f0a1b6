"""Benchmark: installation tokens under a read load as a GitHub App, from a cold start.

    .venv/bin/python bench/app_tokens.py [--reads 10000] [--repos 50] [--installations 5] [--threads 8]
                                         [--token-seconds 3600] [--duration 0]

Against the GitHub simulator (tests/fakegithub) in App mode on 127.0.0.1: an App
with its RSA key, ``--installations`` installations sharing ``--repos``
repositories, a throwaway SQLite database and the configured cache (local
memory, or Redis with REDIS_URL). ``--threads`` threads send ``--reads``
uncached reads (``GET /repos/{owner}/{repo}``) through the service's client,
starting with no token and no installation known. Counted: token requests
(``POST /app/installations/{id}/access_tokens``), installation lookups
(``GET /repos/{owner}/{repo}/installation``), 401s GitHub answered and 401s
that reached a caller. The aim: token requests at most installations ×
ceil(run time / 55 min), and no 401 reaching a caller.

Hours in minutes: ``--token-seconds`` shortens the simulator's token lifetime
and ``--duration`` keeps reading for that many seconds (at least ``--reads``).
A token is replaced when 5 minutes are left, so it serves
``token-seconds - 300`` s; ``--token-seconds 330 --duration 180`` is six token
lifetimes, what a 5.5-hour run with GitHub's one-hour tokens goes through. The
bound scales the same way: installations × ceil(run time / (token-seconds - 300)).
"""

import argparse
import itertools
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from github.client import get_client, reset_client  # noqa: E402
from github.errors import GitHubError  # noqa: E402
from github.installation_tokens import REFRESH_BEFORE  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.fakegithub.apps import generate_app_key  # noqa: E402

APP_ID = 777001


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=10_000)
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--installations", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--token-seconds", type=int, default=3600, help="the simulator's token lifetime (> 300)")
    parser.add_argument("--duration", type=float, default=0.0, help="read for at least this many seconds")
    args = parser.parse_args(argv)
    if args.token_seconds <= REFRESH_BEFORE:
        parser.error(f"--token-seconds must be more than {REFRESH_BEFORE} (tokens are replaced that early)")

    database = Path(tempfile.mkdtemp(prefix="ghsvc-bench-")) / "bench.sqlite3"
    settings.DATABASES["default"]["NAME"] = str(database)
    connection.close()
    call_command("migrate", verbosity=0)

    private_pem, public_pem = generate_app_key()
    fake = FakeGitHub(rate_limit=1_000_000).start()
    fake.register_app(app_id=APP_ID, public_key_pem=public_pem)
    fake.installation_token_ttl = args.token_seconds
    names = [(f"org-{n % args.installations}", f"repo-{n}") for n in range(args.repos)]
    installations = []
    for number in range(args.installations):
        owner = f"org-{number}"
        covered = [name for name in names if name[0] == owner]
        for name in covered:
            fake.add_repo(*name, pulls=1, issues=1)
        installations.append(fake.add_installation(owner, repositories=covered))

    settings.GITHUB_API_URL = fake.url
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = str(APP_ID)
    settings.GITHUB_APP_PRIVATE_KEY = private_pem
    settings.GITHUB_MUTATION_MIN_INTERVAL = 0.0
    reset_client()

    errors, lock = [], threading.Lock()
    reads = itertools.count()
    deadline = time.monotonic() + args.duration

    def worker():
        client = get_client()
        try:
            for number in reads:
                if number >= args.reads and time.monotonic() >= deadline:
                    break
                owner, repo = names[number % len(names)]
                try:
                    client.get("/repos/{owner}/{repo}", owner=owner, repo=repo)
                except GitHubError as exc:
                    with lock:
                        errors.append(exc.status)
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    done = next(reads) - args.threads  # each thread drew one number it did not read
    fake.stop()

    token_requests = sum(fake.token_requests(installation) for installation in installations)
    lookups = sum(1 for request in fake.requests if request.path.endswith("/installation"))
    refused = sum(1 for request in fake.requests if request.status == 401)
    allowed = args.installations * math.ceil(seconds / (args.token_seconds - REFRESH_BEFORE))
    cache_backend = "redis" if os.environ.get("REDIS_URL") else "local memory"
    print(
        f"{done} reads over {args.repos} repositories in {args.installations} installations, "
        f"{args.threads} threads, tokens live {args.token_seconds} s, cache: {cache_backend}"
    )
    print(f"run time {seconds:.1f} s, {done / seconds:,.0f} reads/s")
    print(f"token requests {token_requests} (aim: at most {allowed}); installation lookups {lookups}")
    print(f"401s from GitHub {refused}; errors reaching a caller {len(errors)} ({sorted(set(errors))})")
    return 0 if token_requests <= allowed and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
