"""Benchmark: how much of the rate limit the cached GitHub client spends on a read-heavy load.

    .venv/bin/python bench/client_cache.py [--reads 10000] [--repos 20] [--changes 50] [--hours 1]

Against the GitHub simulator (tests/fakegithub) on 127.0.0.1, with a throwaway
SQLite database and the configured cache (local memory, or Redis with REDIS_URL;
only the benchmark's own keys are touched). 10,000 reads over 20 repositories
x {info, pulls, issues}, spread over one simulated hour (the client's clock is
simulated, so TTLs expire as they would; GitHub is real HTTP), with 50 upstream
changes spread over the run. Scenarios:

- uncached: every read is a GET (the baseline);
- cached, cold: the client starting with an empty cache;
- cached, warm: the next hour on the same cache (Redis survives restarts), 50 more changes;
- cached, 5xx bursts: a cold run during which GitHub fails 20 times for a whole read (all retries).

"counted" is what GitHub took off the primary limit (a 304 is free); "stale" answers
were served expired because GitHub failed; "outdated" answers were fresh by TTL
but older than an upstream change (the price of caching).
"""

import argparse
import os
import random
import sys
import tempfile
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

from github import cache as github_cache  # noqa: E402
from github.client import GitHubClient  # noqa: E402
from github.credentials import TokenCredentials  # noqa: E402
from github.responses import STALE  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402

TOKEN = "ghp_benchmarkTokenNotSecret0123456789"
TEMPLATES = {
    "info": "/repos/{owner}/{repo}",
    "pulls": "/repos/{owner}/{repo}/pulls",
    "issues": "/repos/{owner}/{repo}/issues",
}
RESOURCES = tuple(TEMPLATES)


class SimulatedClock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def workload(seed, reads, repos, changes):
    """(reads as (repo, resource)), ({read index: (repo, resource)} changes), deterministic."""
    rng = random.Random(seed)
    names = [f"bench-{number:02d}" for number in range(repos)]
    plan = [(rng.choice(names), rng.choice(RESOURCES)) for _ in range(reads)]
    step = reads // (changes + 1)
    change_at = {step * (i + 1): (rng.choice(names), rng.choice(RESOURCES)) for i in range(changes)}
    return names, plan, change_at


def run(fake, client, clock, plan, change_at, *, seconds, cached, fault_at=()):
    fake.reset_stats()
    step = seconds / len(plan)
    changed_at = {}
    stale = outdated = failed = 0
    started = time.perf_counter()
    for index, (repo, resource) in enumerate(plan):
        clock.now += step
        if index in change_at:
            fake.change("bench", change_at[index][0], change_at[index][1])
            changed_at[change_at[index]] = clock.now
        if index in fault_at:
            fake.fail_next(settings.GITHUB_RETRY_ATTEMPTS)
        try:
            if cached:
                answer = client.cached_get(TEMPLATES[resource], resource=resource, owner="bench", repo=repo)
                stale += answer.cache == STALE
                outdated += changed_at.get((repo, resource), 0) > answer.fetched_at
            else:
                client.get(TEMPLATES[resource], owner="bench", repo=repo)
        except Exception:
            failed += 1
    elapsed = time.perf_counter() - started
    stats = fake.stats()
    return {
        "upstream": stats["requests"],
        "counted": stats["counted"],
        "not_modified": stats["not_modified"],
        "stale": stale,
        "outdated": outdated,
        "failed": failed,
        "seconds": elapsed,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=10000)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--hours", type=float, default=1.0, help="simulated time the reads are spread over")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    # A throwaway database for the rate-limit history the client writes.
    database = Path(tempfile.mkdtemp(prefix="ghsvc-bench-")) / "bench.sqlite3"
    settings.DATABASES["default"]["NAME"] = str(database)
    call_command("migrate", verbosity=0)

    # Budget above the uncached run, so every scenario runs to the end.
    fake = FakeGitHub(token=TOKEN, rate_limit=10 * args.reads + 1000).start()
    names, plan, change_at = workload(args.seed, args.reads, args.repos, args.changes)
    for name in names:
        fake.add_repo("bench", name, pulls=3, issues=5)
    retries = []
    options = {
        "base_url": fake.url,
        "credentials": TokenCredentials(TOKEN),
        "sleep": retries.append,
        "mutation_min_interval": 0,
    }
    seconds = args.hours * 3600

    def fresh_cache():
        for name in names:
            github_cache.invalidate_repository("bench", name)
        github_cache.reset()

    rows = []
    try:
        fresh_cache()
        clock = SimulatedClock()
        uncached = GitHubClient(clock=clock, **options)
        rows.append(("uncached", run(fake, uncached, clock, plan, change_at, seconds=seconds, cached=False)))

        clock = SimulatedClock()
        client = GitHubClient(clock=clock, **options)
        rows.append(("cached, cold", run(fake, client, clock, plan, change_at, seconds=seconds, cached=True)))
        _, next_plan, next_changes = workload(args.seed + 1, args.reads, args.repos, args.changes)
        rows.append(("cached, warm", run(fake, client, clock, next_plan, next_changes, seconds=seconds, cached=True)))

        fresh_cache()
        clock = SimulatedClock()
        client = GitHubClient(clock=clock, **options)
        faults = set(range(args.reads // 21, args.reads, args.reads // 21)[:20])
        rows.append(
            (
                "cached, 5xx bursts",
                run(fake, client, clock, plan, change_at, seconds=seconds, cached=True, fault_at=faults),
            )
        )
    finally:
        fake.stop()
        fresh_cache()

    baseline = rows[0][1]["counted"] or 1
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 2)[-2]
    print(
        f"\n{args.reads} reads over {args.repos} repos x {{info, pulls, issues}}, {args.changes} upstream changes, "
        f"{args.hours:g} simulated hour(s); TTLs info/pulls/issues = {settings.GITHUB_CACHE_TTL_INFO}/"
        f"{settings.GITHUB_CACHE_TTL_PULLS}/{settings.GITHUB_CACHE_TTL_ISSUES} s; cache: {cache_backend}\n"
    )
    header = (
        f"{'scenario':<20}{'upstream':>10}{'counted':>9}{'304s':>7}{'reduction':>11}"
        f"{'stale':>7}{'outdated':>10}{'failed':>8}{'wall s':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, row in rows:
        reduction = 1 - row["counted"] / baseline
        print(
            f"{name:<20}{row['upstream']:>10}{row['counted']:>9}{row['not_modified']:>7}{reduction:>10.2%} "
            f"{row['stale']:>6}{row['outdated']:>10}{row['failed']:>8}{row['seconds']:>8.1f}"
        )
    print(
        "\nreduction = 1 - counted / counted(uncached). counted = requests GitHub took off the primary limit "
        "(200s; 304s are free).\nstale = expired entries served because GitHub failed; outdated = answers older "
        "than an upstream change (within the TTL)."
    )


if __name__ == "__main__":
    main()
