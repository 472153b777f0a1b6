"""Production-install check: the runtime requirements alone run every process.

    python3 deploy/check_install.py            # the whole check (PostgreSQL and Redis needed)
    python3 deploy/check_install.py deploy     # only `manage.py check --deploy` with production settings

The whole check builds a fresh virtualenv with the Dockerfile's own `pip install` line (so
the image and this check install the same files the same way), then from that virtualenv
only: imports every module of the project's packages, runs `check --deploy` with production
settings, collects static files, migrates a scratch PostgreSQL database, starts gunicorn
(gunicorn.conf.py, two workers), a Celery worker and beat, posts a real signed delivery
from ../shared/github-samples and follows it to `processed` through the API, checks
/readyz and /metrics, and stops every process with SIGTERM, expecting exit code 0.

Standard library only: it must not depend on what it checks.
"""

import argparse
import hashlib
import hmac
import importlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = Path(os.environ.get("GITHUB_SAMPLES_DIR", ROOT.parent / "shared" / "github-samples"))
SAMPLE = ("pull_request", "pull_request/opened.payload.json")
# Not deployed: the test suite and the benchmarks (and their reference views).
NOT_RUNTIME = {"tests", "bench"}
PROCESSED_WITHIN_SECONDS = 30
STARTED = time.monotonic()


class CheckFailed(Exception):
    pass


def say(message):
    print(f"[check-install {time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


def production_environment():
    """What a production deployment sets: DEBUG off, a real key, HTTPS settings on."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": "install-check-" + secrets.token_hex(32),
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
    }


def clean_environment(**extra):
    """This process's environment without anything that points the service elsewhere."""
    dropped = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PROMETHEUS_MULTIPROC_DIR", "VIRTUAL_ENV"}
    env = {key: value for key, value in os.environ.items() if key not in dropped and not key.startswith("PYTHON")}
    env.update(extra)
    return env


def run(command, env=None, cwd=ROOT):
    say("$ " + shlex.join(str(part) for part in command))
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise CheckFailed(f"{command[0]} exited {result.returncode}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result.stdout


def check_deploy(python):
    """`manage.py check --deploy` with production settings, warnings included."""
    run(
        [python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean_environment(**production_environment()),
    )


def dockerfile_pip_arguments():
    """The arguments of the Dockerfile's `RUN pip install …` line, so both install alike."""
    text = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^RUN pip install (.+)$", text, re.MULTILINE)
    if not match:
        raise CheckFailed("the Dockerfile has no `RUN pip install …` line to follow")
    return shlex.split(match.group(1))


def build_virtualenv(venv):
    run([sys.executable, "-m", "venv", venv])
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "--quiet", *dockerfile_pip_arguments()])
    run([python, "-m", "pip", "check"])
    return python


def runtime_modules():
    """Every module of the project's packages (top-level folders with an __init__.py)."""
    for init in sorted(ROOT.glob("*/__init__.py")):
        package = init.parent
        if package.name in NOT_RUNTIME:
            continue
        for path in sorted(package.rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_everything():
    """Run inside the fresh virtualenv: import each runtime module after django.setup()."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    failures = []
    modules = list(runtime_modules())
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failures.append(f"{name}: {exc.__class__.__name__}: {exc}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{len(modules)} modules imported")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_urls(server_url, name):
    """(the scratch database's URL, the maintenance database's URL) on the same server."""
    base = server_url.rsplit("/", 1)[0]
    return f"{base}/{name}", f"{base}/postgres"


def recreate_database(python, maintenance_url, name, drop_only=False):
    statements = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']
    if not drop_only:
        statements.append(f'CREATE DATABASE "{name}"')
    code = (
        "import sys, psycopg\n"
        "with psycopg.connect(sys.argv[1], autocommit=True) as connection:\n"
        "    for statement in sys.argv[2:]:\n"
        "        connection.execute(statement)\n"
    )
    run([python, "-c", code, maintenance_url, *statements])


def flush_redis(python, *urls):
    code = "import sys, redis\nfor url in sys.argv[1:]:\n    redis.Redis.from_url(url).flushdb()\n"
    run([python, "-c", code, *urls])


def http(method, url, body=None, headers=None, timeout=10):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Processes:
    """The started processes, their logs, and a clean stop that checks exit codes."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.running = {}

    def start(self, name, command, env):
        say(f"start {name}: " + shlex.join(command))
        log = open(self.log_dir / f"{name}.log", "w")
        # A session of its own: a stop reaches gunicorn's workers and Celery's pool children too.
        self.running[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self, name):
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def assert_alive(self):
        for name, process in self.running.items():
            if process.poll() is not None:
                raise CheckFailed(f"{name} exited {process.returncode} early:\n{self.log(name)[-4000:]}")

    def stop(self, check=True):
        """SIGTERM in reverse start order; every process must exit 0 within its grace time."""
        problems = []
        for name, process in reversed(list(self.running.items())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                problems.append(f"{name} did not stop within 40 s of SIGTERM")
                continue
            _kill_group(process)  # anything of its group still left behind
            say(f"{name} exited {process.returncode}")
            if process.returncode != 0:
                problems.append(f"{name} exited {process.returncode}:\n{self.log(name)[-3000:]}")
        self.running = {}
        if check and problems:
            raise CheckFailed("\n".join(problems))


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait()


def wait_until(description, probe, processes, seconds):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        processes.assert_alive()
        try:
            ok, last = probe()
        except (OSError, ValueError) as exc:
            ok, last = False, f"{exc.__class__.__name__}: {exc}"
        if ok:
            return last
        time.sleep(0.25)
    raise CheckFailed(f"{description}: not within {seconds} s (last seen: {last})")


def metric_value(text, name, **labels):
    """The sum of a counter's samples whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        sample_labels = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
        if all(sample_labels.get(key) == value for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def exercise_service(python, venv, work, env, processes):
    """Run web, worker and beat from the virtualenv and follow one real delivery."""
    bin_dir = venv / "bin"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}

    processes.start("gunicorn", [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py"], env)
    wait_until(
        "gunicorn answers /healthz", lambda: (http("GET", f"{base}/healthz")[0] == 200, "no answer"), processes, 30
    )
    # After gunicorn: its master empties the shared metrics folder when it starts.
    processes.start(
        "worker", [str(bin_dir / "celery"), "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2"], env
    )
    schedule = str(work / "celerybeat-schedule")
    processes.start(
        "beat", [str(bin_dir / "celery"), "-A", "config", "beat", "--loglevel=INFO", f"--schedule={schedule}"], env
    )

    def ready():
        status, body = http("GET", f"{base}/readyz")
        checks = json.loads(body).get("checks", {})
        return status == 200 and checks and all(value == "ok" for value in checks.values()), f"{status} {checks}"

    say("readyz: " + wait_until("/readyz 200 with every check ok", ready, processes, 30))

    event, relative = SAMPLE
    sample = SAMPLES_DIR / "webhooks" / relative
    if not sample.is_file():
        raise CheckFailed(f"GitHub sample missing: {sample} (set GITHUB_SAMPLES_DIR)")
    body = sample.read_bytes()
    delivery_id = str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": "sha256="
        + hmac.new(env["GITHUB_WEBHOOK_SECRET"].encode(), body, hashlib.sha256).hexdigest(),
        "User-Agent": "GitHub-Hookshot/install-check",
    }
    status, answer = http("POST", f"{base}/api/v1/webhooks/github", body, headers)
    if status != 202:
        raise CheckFailed(f"the receiver answered {status}: {answer[:500]!r}")
    say(f"delivery {delivery_id} accepted: {answer.decode()}")

    token = run([python, "manage.py", "create_api_token", "admin", "--name", "install-check"], env=env).strip()
    auth = {"Authorization": f"Token {token}"}

    def processed():
        status, answer = http("GET", f"{base}/api/v1/webhooks/events?delivery_id={delivery_id}", headers=auth)
        results = json.loads(answer).get("results", []) if status == 200 else []
        current = results[0]["status"] if results else f"HTTP {status}, {len(results)} results"
        return current == "processed", current

    wait_until("the delivery is processed", processed, processes, PROCESSED_WITHIN_SECONDS)
    say("delivery processed (seen through GET /api/v1/webhooks/events)")

    def counted():
        status, answer = http("GET", f"{base}/metrics")
        text = answer.decode()
        received = metric_value(text, "webhook_events_received_total", event=event)
        processed = metric_value(text, "webhook_events_processed_total", event=event, action="opened")
        return status == 200 and received >= 1 and processed >= 1, f"received={received} processed={processed}"

    say("metrics: " + wait_until("/metrics counts the delivery", counted, processes, 10))

    def beat_ran():
        swept = re.search(r"Task webhooks\.tasks\.sweep_pending_events\[[^]]+\] succeeded", processes.log("worker"))
        return bool(swept), "no sweep has run yet"

    wait_until("a task sent by beat ran on the worker", beat_ran, processes, 20)
    say("beat's sweep task ran on the worker")


def check_install(database_url, redis_url, broker_url, keep):
    work = Path(tempfile.mkdtemp(prefix="ghsvc-install-check-"))
    venv = work / "venv"
    processes = Processes(work)
    database_name = f"ghsvc_install_check_{os.getpid()}"
    scratch_url, maintenance_url = database_urls(database_url, database_name)
    python = None
    try:
        python = build_virtualenv(venv)
        env = clean_environment(
            **{**production_environment(), "SECURE_SSL_REDIRECT": "0"},  # plain HTTP on loopback here
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=scratch_url,
            REDIS_URL=redis_url,
            CELERY_BROKER_URL=broker_url,
            GITHUB_WEBHOOK_SECRET=secrets.token_hex(20),
            PROMETHEUS_MULTIPROC_DIR=str(work / "metrics"),
            STATIC_ROOT=str(work / "static"),
            WEBHOOK_SWEEP_INTERVAL_SECONDS="2",
            GUNICORN_ACCESS_LOG="-",
            DJANGO_SUPERUSER_USERNAME="admin",
            DJANGO_SUPERUSER_EMAIL="admin@example.com",
            DJANGO_SUPERUSER_PASSWORD=secrets.token_hex(16),
        )
        say(run([python, __file__, "imports"], env=env).strip())
        check_deploy(python)
        run([python, "manage.py", "collectstatic", "--no-input", "-v", "0"], env=env)
        recreate_database(python, maintenance_url, database_name)
        flush_redis(python, redis_url, broker_url)
        run([python, "manage.py", "migrate", "--no-input", "-v", "0"], env=env)
        run([python, "manage.py", "createsuperuser", "--no-input"], env=env)
        exercise_service(python, venv, work, env, processes)
        processes.stop()
        say("every process stopped with exit code 0")
    finally:
        processes.stop(check=False)
        if python:
            try:
                recreate_database(python, maintenance_url, database_name, drop_only=True)
            except CheckFailed as failure:  # reported, without hiding the check's own failure
                say(f"could not drop {database_name}: {failure}")
        if keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", nargs="?", choices=["all", "deploy", "imports"], default="all")
    parser.add_argument("--python", default=sys.executable, help="the interpreter for `deploy` (default: this one)")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    redis_server = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    parser.add_argument("--redis-url", default=f"{redis_server}/14", help="a Redis database this check may flush")
    parser.add_argument("--broker-url", default=f"{redis_server}/15", help="a Redis database this check may flush")
    parser.add_argument("--keep", action="store_true", help="keep the virtualenv and the logs")
    args = parser.parse_args()
    # A cancelled CI job (SIGTERM, SIGHUP) still stops the processes and drops the database.
    for cancel in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(cancel, _cancelled)
    try:
        if args.step == "imports":
            import_everything()
        elif args.step == "deploy":
            check_deploy(args.python)
        else:
            check_install(args.database_url, args.redis_url, args.broker_url, args.keep)
            say("passed")
    except CheckFailed as failure:
        say(f"FAILED: {failure}")
        sys.exit(1)


def _cancelled(signum, frame):
    raise CheckFailed(f"cancelled by signal {signum}")


if __name__ == "__main__":
    main()
