"""Benchmark: instructions per request, counted by valgrind, for the product's hot paths and their references.

    .venv/bin/python bench/instructions.py [--requests 200] [--variants NAME ...]

Throughput on this machine drifts by ±10–20 % within seconds; an instruction
count does not: the same code, inputs and environment give the same count to
within a few parts in a thousand. This script answers "did this change make
the request cheaper, and by how much", which a wrk run can only answer after
many rounds. It is not throughput: C code that runs many instructions per
cycle (JSON decoding, hashing) costs less time per instruction than Python.

Each path is served in-process by Django's WSGI handler, with the settings,
middleware and reference routes of bench/ingest.py (whose database and Redis
helpers it uses, on a database of its own, ``ghsvc_instructions``, and Redis
database 6). For each variant, two child processes run under
``valgrind --tool=callgrind``: one serves ``--requests`` requests, the other
three times as many, after the same warm-up; the difference divided by the
extra requests is the cost of one request, start-up and warm-up cancelled out.
The Redis and PostgreSQL servers are not counted, only this process's side, and
neither is the receiver's broker publish, which happens off the request path.

Needs valgrind (``apt-get install valgrind``), PostgreSQL and Redis; about
half a minute per child on this machine, two children at a time.
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE_NAME", "ghsvc_instructions")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
# The token is checked against the database once, then trusted while no token or user changes.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import ingest  # noqa: E402  (sets the environment of the server it benchmarks)

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip"}
# name: (method, path, authenticated, the reference it is compared with, extra WSGI environ)
VARIANTS = {
    "trivial view": ("GET", "/bench/trivial", False, None, {}),
    "minimal cache view": ("GET", "/bench/cached-value/small", False, None, {}),
    "minimal cache view in DRF": ("GET", "/bench/cached-value-drf/small", True, "minimal cache view", {}),
    "cached read (pulls)": ("GET", ingest.pulls_path("small"), True, "minimal cache view", {}),
    "cached read (pulls), gzip": ("GET", ingest.pulls_path("small"), True, "minimal cache view", GZIP),
    "minimal cache view, large page": ("GET", "/bench/cached-value/large", False, None, {}),
    "cached read, large page": ("GET", ingest.pulls_path("large"), True, "minimal cache view, large page", {}),
    "cached read, large page, gzip": ("GET", ingest.pulls_path("large"), True, "minimal cache view, large page", GZIP),
    "minimal receiver": ("POST", "/bench/minimal-receiver", False, None, {}),
    "full receiver": ("POST", "/api/v1/webhooks/github", False, "minimal receiver", {}),
}
WARM_UP = 72  # every sample once


def serve(name, requests, token, run_id):
    """Child: serve WARM_UP + ``requests`` requests of one variant in-process."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    method, path, authenticated, _reference, extra = VARIANTS[name]
    samples = ingest.signed_samples() if method == "POST" else None

    def call(number):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        environ.update(extra)
        if authenticated:
            environ["HTTP_AUTHORIZATION"] = f"Token {token}"
        if samples:
            event, signature, _path, body = samples[number % len(samples)]
            environ.update(
                {
                    "wsgi.input": io.BytesIO(body),
                    "CONTENT_LENGTH": str(len(body)),
                    "CONTENT_TYPE": "application/json",
                    "HTTP_X_GITHUB_EVENT": event,
                    "HTTP_X_HUB_SIGNATURE_256": signature,
                    "HTTP_X_GITHUB_DELIVERY": f"{run_id}-{number}",
                    "HTTP_USER_AGENT": "GitHub-Hookshot/bench",
                }
            )
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, dict(headers)

        b"".join(app(environ, start_response))
        return answer

    for number in range(WARM_UP):
        answer = call(number)
        if not answer["status"].startswith("20") or answer["headers"].get("X-Cache", "HIT") != "HIT":
            sys.exit(f"{name}: {path} answered {answer['status']} {answer['headers']}")
    for number in range(WARM_UP, WARM_UP + requests):
        call(number)


def count(name, requests, token):
    """Instructions of a child serving ``requests`` requests (after the warm-up)."""
    folder = Path(tempfile.mkdtemp(prefix="ghsvc-callgrind-"))
    (folder / "metrics").mkdir()
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={folder / 'callgrind.out'}",
        sys.executable,
        __file__,
        "--child",
        name,
        str(requests),
        token,
        f"{time.time_ns()}",
    ]
    environment = {
        **os.environ,
        # A fixed hash seed: dict and set layouts, and so the paths taken, are the same in every child.
        "PYTHONHASHSEED": "0",
        # Multiprocess metrics, as under gunicorn: each update is a write to a memory-mapped file.
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        # The relay thread publishes stored ids in batches gathered over a time window, so its
        # cost per delivery depends on the arrival rate, which under valgrind is nothing like
        # production's. Held back for the run (published once, at exit), it is not counted:
        # the request path is; the publish is off it by design (webhooks/outbox.py).
        "WEBHOOK_RELAY_GATHER_SECONDS": "3600",
    }
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    shutil.rmtree(folder, ignore_errors=True)
    for line in result.stderr.splitlines():
        if "Collected :" in line and result.returncode == 0:
            return int(line.rsplit(":", 1)[1])
    ingest.fail(f"{name}: the child failed:\n{result.stderr[-3000:]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests of the shorter child")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        ingest.fail("valgrind is not installed (Debian/Ubuntu: apt-get install valgrind); nothing was started.")

    fake = ingest.start_simulator()
    # Only this process calls it; the children must find the entry cached (checked at their warm-up).
    os.environ["GITHUB_API_URL"] = fake.url
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        ingest.recreate_database()
        ingest.flush_redis()
        ingest.set_up_django()
        ingest.create_configs()
        token = ingest.staff_token()
        prime_caches()
        fake.stop()
        jobs = [(name, requests) for name in args.variants for requests in (args.requests, 3 * args.requests)]
        counts = dict(zip(jobs, pool.map(lambda job: count(*job, token), jobs), strict=True))
    finally:
        pool.shutdown(cancel_futures=True)  # after a failed child, do not start the queued ones
        fake.stop()
        from django.db import connections

        connections.close_all()
        ingest.flush_redis()
        ingest.drop_database()

    per_request = {
        name: (counts[name, 3 * args.requests] - counts[name, args.requests]) / (2 * args.requests)
        for name in args.variants
    }
    print(
        f"Instructions per request (valgrind callgrind; {args.requests} and {3 * args.requests} requests "
        f"after {WARM_UP} warm-up, difference / {2 * args.requests}):"
    )
    print()
    print("| path | instructions per request | × its reference (reference / path) |")
    print("|---|---:|---:|")
    for name in args.variants:
        reference = VARIANTS[name][3]
        ratio = f"{per_request[reference] / per_request[name]:.2f}" if reference in per_request else "–"
        print(f"| {name} | {per_request[name] / 1000:,.0f} k | {ratio} |")


def prime_caches():
    """Each page's pulls entry, fetched once from the GitHub simulator; the references' copies of its bytes."""
    from githubfeatures.selectors import github_read

    for page, (repo, _pulls) in ingest.PAGES.items():
        result = github_read(ingest.OWNER, repo, "pulls")
        if result.status != 200 or result.gzipped is None:
            ingest.fail(f"GET {ingest.pulls_path(page)} from the simulator gave {result.status}")
        ingest.set_reference_value(page, result.content)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        main()
