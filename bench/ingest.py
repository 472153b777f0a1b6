"""Benchmark: webhook ingest and cached reads under gunicorn, against the ceilings of the stack.

    .venv/bin/python bench/ingest.py [--seconds 4] [--rounds 7] [--connections 16 64] [--only ingest|reads]

Needs wrk (``apt-get install wrk``), PostgreSQL and Redis on this machine; it
installs nothing. Everything is on 127.0.0.1:

- a database of its own, ``ghsvc_ingest`` (``BENCH_DATABASE_NAME``, ``ghsvc_…``; dropped and re-created, on the server
  of ``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/postgres``),
  and Redis database 5 (``BENCH_REDIS_URL``; flushed before and after: it must be ours);
- gunicorn with the product's gunicorn.conf.py and production settings (DEBUG
  off, the multiprocess metrics on, INFO logs to a file), plus the reference
  routes of ``bench.reference`` (never part of the product);
- the GitHub simulator (tests/fakegithub) behind the cached read.

For each connection count, in the same run and under the same gunicorn:
a trivial view (200), a minimal receiver (HMAC, JSON, one INSERT into a plain
table) and the full receiver, all three driven with the same signed real
deliveries from ../shared/github-samples/webhooks/ by the same wrk script, in
interleaved rounds (A B C, C B A, ...) so that each product run sits next to
its references; then the full receiver with 10% redeliveries; then, the same
way, the cached read ``GET /api/v1/github/{owner}/{repo}/pulls`` (token,
X-Cache: HIT) for two pages of the simulator: one pull request (about 15 KB)
and a page of about 180 KB (GitHub's size for 30 pull requests), each served
without compression, gzip-compressed (``Accept-Encoding: gzip``) and as our own
304 (``If-None-Match``), against a view returning the same page's bytes,
uncompressed, from django-redis. After every run the rows stored are counted
and compared with what the generator saw answered. Figures are medians over
the rounds.
No Celery worker runs: this measures intake; events stay pending in the outbox.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("GITHUB_SAMPLES_DIR", ROOT.parent / "shared" / "github-samples")) / "webhooks"
WRK_DIR = ROOT / "bench" / "wrk"
DATABASE_NAME = os.environ.get("BENCH_DATABASE_NAME", "ghsvc_ingest")
# It is dropped with FORCE, unquoted: only a plain name of the bench's own.
if not re.fullmatch(r"ghsvc_[a-z0-9_]+", DATABASE_NAME):
    sys.exit(f"BENCH_DATABASE_NAME must look like ghsvc_<lowercase letters, digits, _>, not {DATABASE_NAME!r}")
SECRET = "bench-ingest-webhook-secret-not-secret"
GITHUB_TOKEN = "ghp_benchIngestTokenNotSecret0123456789"
MINIMAL_TABLE = "bench_minimal_delivery"
OWNER, REPO = "octocat", "hello-world"
# The cached-read pages: name -> (repository, pull requests on it). The simulator's
# pull requests are ~20 KB each (vary_pulls); 9 make a page of GitHub's size for 30 (~180 KB).
PAGES = {"small": (REPO, 1), "large": ("hello-world-page", 9)}

server_url = urlsplit(os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
DATABASE_URL = urlunsplit(server_url._replace(path=f"/{DATABASE_NAME}"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")

# This process uses the same settings as the server: the ORM for set-up and counts.
os.environ.update(
    DJANGO_SETTINGS_MODULE="bench.reference.settings",
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    CELERY_BROKER_URL=REDIS_URL,
    SECRET_KEY="bench-ingest-only-not-secret",
    DEBUG="0",
    GITHUB_WEBHOOK_SECRET=SECRET,
    GITHUB_TOKEN=GITHUB_TOKEN,
    GITHUB_CACHE_TTL_PULLS="3600",
    LOG_LEVEL=os.environ.get("LOG_LEVEL", "INFO"),
)
sys.path.insert(0, str(ROOT))

from bench.load import interleaved, wrk  # noqa: E402
from bench.tables import print_tables, report  # noqa: E402
from bench.workload import vary_pulls  # noqa: E402


def fail(message):
    print(f"bench/ingest.py: {message}", file=sys.stderr)
    sys.exit(2)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database():
    import psycopg

    with psycopg.connect(urlunsplit(server_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE_NAME}")


def drop_database():
    import psycopg

    with psycopg.connect(urlunsplit(server_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE_NAME} WITH (FORCE)")


def signed_samples():
    """(event, signature, path, body) of every real sample, signed once (ping excluded: answered 200, not queued)."""
    samples = []
    for path in sorted(SAMPLES.glob("*/*.json")):
        event = path.parent.name
        if event == "ping":
            continue
        body = path.read_bytes()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        samples.append((event, signature, path, body))
    return samples


def write_manifest(folder):
    lines = [f"{event}\t{signature}\t{path}" for event, signature, path, _body in signed_samples()]
    manifest = folder / "deliveries.tsv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest, len(lines)


def set_up_django():
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--no-input", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {MINIMAL_TABLE} "
            "(id bigserial PRIMARY KEY, delivery_id text NOT NULL, payload jsonb NOT NULL)"
        )


def create_configs():
    """One config per repository of the samples, as a real installation would have."""
    from webhooks.models import WebhookConfig

    names = set()
    for path in SAMPLES.glob("*/*.json"):
        repository = json.loads(path.read_bytes()).get("repository")
        if isinstance(repository, dict) and repository.get("full_name"):
            names.add(repository["full_name"])
    for name in sorted(names):
        WebhookConfig.objects.create(repository=name, url="https://bench.example.test/hook", secret=SECRET)
    return len(names)


def staff_token():
    from django.contrib.auth import get_user_model

    from accounts.models import ApiToken

    user = get_user_model().objects.create_user("bench", password="bench-only-pw-123456", is_staff=True)
    return ApiToken.objects.issue(user, name="bench")[1]


def start_simulator():
    """The GitHub simulator behind the cached reads, with the repositories of PAGES."""
    from tests.fakegithub import FakeGitHub

    fake = FakeGitHub(token=GITHUB_TOKEN, rate_limit=1_000_000).start()
    for number, (repo, pulls) in enumerate(PAGES.values()):
        vary_pulls(fake.add_repo(OWNER, repo, pulls=pulls), seed=number)
    return fake


def pulls_path(page):
    return f"/api/v1/github/{OWNER}/{PAGES[page][0]}/pulls"


def set_reference_value(page, body):
    """The minimal cache view's value for ``page``: the bytes the cached read answers uncompressed."""
    from django.core.cache import cache

    from bench.reference.views import reference_key

    cache.set(reference_key(page), body, None)


def count_rows(table):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(DISTINCT delivery_id) FROM {table}")
        return cursor.fetchone()


def start_gunicorn(folder, port):
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "-",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(folder / "static"),
    }
    (folder / "static").mkdir(exist_ok=True)
    log = open(folder / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"gunicorn exited; see {folder / 'gunicorn.log'}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:  # not up yet, or still booting its workers
            time.sleep(0.2)
    stop(process)
    fail("gunicorn did not start within 30 s")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_deliveries(base, path, manifest, *, connections, seconds, tag, table=None, redeliver_every=0):
    """One measured run; ``rows``/``unique`` are what it stored in ``table``."""
    before = count_rows(table) if table else (0, 0)
    result = wrk(
        base + path,
        WRK_DIR / "deliveries.lua",
        [manifest, seconds, tag, redeliver_every],
        connections=connections,
        seconds=seconds,
    )
    after = count_rows(table) if table else (0, 0)
    return dict(result, rows=after[0] - before[0], unique=after[1] - before[1])


def run_reads(base, path, *, connections, seconds, token="", encoding="", if_none_match=""):
    return wrk(
        base + path,
        WRK_DIR / "reads.lua",
        [seconds, token, encoding, if_none_match],
        connections=connections,
        seconds=seconds,
    )


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


INGEST_VARIANTS = [
    ("trivial view", "/bench/trivial", None),
    ("minimal receiver", "/bench/minimal-receiver", MINIMAL_TABLE),
    ("full receiver", "/api/v1/webhooks/github", "webhook_events"),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=4, help="measured seconds per run (each variant, each round)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds; figures are per-round medians")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--only", choices=["ingest", "reads"], help="measure only the ingest or only the cached reads")
    parser.add_argument("--keep", action="store_true", help="keep the database and the log folder")
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        fail("wrk is not installed (Debian/Ubuntu: apt-get install wrk); nothing was started.")
    if not SAMPLES.is_dir():
        fail(f"GitHub samples not found at {SAMPLES} (set GITHUB_SAMPLES_DIR)")
    folder = Path(tempfile.mkdtemp(prefix="ghsvc-ingest-"))
    manifest, samples = write_manifest(folder)
    recreate_database()
    flush_redis()
    set_up_django()
    configs = create_configs()
    token = staff_token()

    fake = start_simulator()
    os.environ["GITHUB_API_URL"] = fake.url
    port = free_port()
    server = None
    try:
        server = start_gunicorn(folder, port)
        base = f"http://127.0.0.1:{port}"
        print(
            f"gunicorn on {base} (log {folder / 'gunicorn.log'}); {samples} signed samples, {configs} configs; "
            f"{args.rounds} interleaved rounds of {args.seconds} s per variant, wrk -t2",
            flush=True,
        )
        import requests

        pages = {}
        for page in PAGES:
            first = requests.get(base + pulls_path(page), headers={"Authorization": f"Token {token}"}, timeout=10)
            zipped = requests.get(
                base + pulls_path(page),
                timeout=10,
                stream=True,
                headers={"Authorization": f"Token {token}", "Accept-Encoding": "gzip"},
            )
            if first.status_code != 200 or zipped.headers.get("Content-Encoding") != "gzip":
                fail(f"GET {pulls_path(page)} answered {first.status_code}: {first.text[:300]}")
            gzipped_size = len(zipped.raw.read())
            pages[page] = {"size": len(first.content), "gzipped": gzipped_size, "etag": first.headers["ETag"]}
            set_reference_value(page, first.content)

        ingest, redeliveries, reads = {}, None, {}
        for connections in args.connections if args.only != "reads" else ():
            for name, path, _table in INGEST_VARIANTS:  # warm every worker on every path
                wrk(
                    base + path,
                    WRK_DIR / "deliveries.lua",
                    [manifest, 2, f"c{connections}-warmup-{name}"],
                    connections=connections,
                    seconds=2,
                )

            def run_ingest(number, name, path, table, connections=connections):
                result = run_deliveries(
                    base,
                    path,
                    manifest,
                    connections=connections,
                    seconds=args.seconds,
                    table=table,
                    tag=f"c{connections}-r{number}-{path.strip('/').replace('/', '-')}",
                )
                report(name, connections, number, result)
                return result

            ingest[connections] = interleaved(INGEST_VARIANTS, args.rounds, run_ingest)

        if args.only != "reads":
            connections = args.connections[0]
            redeliveries = run_deliveries(
                base,
                "/api/v1/webhooks/github",
                manifest,
                connections=connections,
                seconds=args.seconds * 2,
                tag="redeliveries",
                table="webhook_events",
                redeliver_every=10,
            )
            report("full receiver, 10% redeliveries", connections, 0, redeliveries)

        for page, facts in pages.items() if args.only != "ingest" else ():
            read_variants = [
                ("minimal cache view", f"/bench/cached-value/{page}", {}),
                ("cached read", pulls_path(page), {"token": token}),
                ("cached read, gzip", pulls_path(page), {"token": token, "encoding": "gzip"}),
                ("cached read, 304", pulls_path(page), {"token": token, "if_none_match": facts["etag"]}),
            ]
            for connections in args.connections:
                for _name, path, options in read_variants:
                    run_reads(base, path, connections=connections, seconds=2, **options)

                def run_read(number, name, path, options, connections=connections, page=page):
                    result = run_reads(base, path, connections=connections, seconds=args.seconds, **options)
                    report(f"{name} ({page})", connections, number, result)
                    return result

                reads[(page, connections)] = interleaved(read_variants, args.rounds, run_read)
        print()
        print_tables(ingest, redeliveries, reads, pages, args)
    finally:
        if server is not None:
            stop(server)
        fake.stop()
        from django.db import connections as db_connections

        db_connections.close_all()
        flush_redis()
        if not args.keep:
            drop_database()
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
