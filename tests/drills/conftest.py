"""What the drills share: a private Redis to kill, Celery worker processes, a cuttable PostgreSQL link."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.db import connection

from config.celery import app
from tests.conftest import ROOT, TEST_SECRET, free_port

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")


def wait_until(predicate, timeout=30.0, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def test_database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class PrivateRedis:
    """A redis-server of the drill's own on a free port: the shared one is never touched."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        assert wait_until(answers, timeout=10), "redis-server did not start"
        return self

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def private_redis():
    redis = PrivateRedis().start()
    yield redis
    if redis.process.poll() is None:
        redis.kill()


def use_broker(url):
    """Publish to ``url`` from this process, with fresh connection pools."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def real_broker():
    """Publish to a broker instead of running tasks in-process; restored afterwards."""
    url = app.conf.broker_url
    app.conf.task_always_eager = False
    yield use_broker
    use_broker(url)
    app.conf.task_always_eager = True


class Workers:
    """Celery worker processes on the test database."""

    def __init__(self):
        self.processes = []

    def start(self, broker_url, *, app_module="config", **env):
        environment = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": broker_url,
            "CELERY_BROKER_URL": broker_url,
            "SECRET_KEY": "drill-only",
            "GITHUB_WEBHOOK_SECRET": TEST_SECRET,
            **{key: str(value) for key, value in env.items()},
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                app_module,
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=environment,
        )
        self.processes.append(process)
        return process

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers():
    started = Workers()
    yield started
    started.stop_all()


class TcpLink:
    """A TCP relay to PostgreSQL that can be cut: listener closed and every connection reset."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self.port = free_port()
        self.listener = None
        self.sockets = set()
        self.lock = threading.Lock()

    def open(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def cut(self):
        listener, self.listener = self.listener, None
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in progress (Linux); close() alone does not
        listener.close()
        with self.lock:
            for sock in list(self.sockets):
                # shutdown() first: close() alone leaves the connection up while a pump thread is in recv().
                for step in (lambda sock=sock: sock.shutdown(socket.SHUT_RDWR), sock.close):
                    try:
                        step()
                    except OSError:
                        pass
            self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass


def start_gunicorn(tmp_path, database_url, *, arguments=(), **env):
    """gunicorn.conf.py with two workers on ``database_url``; ``arguments`` are added to its command line."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CELERY_BROKER_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    environment.update(
        DATABASE_URL=database_url,
        SECRET_KEY="drill-only",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        GITHUB_WEBHOOK_SECRET=TEST_SECRET,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        WEB_CONCURRENCY="2",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="/dev/null",
        LOG_LEVEL="warning",
    )
    environment.update({key: str(value) for key, value in env.items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *arguments], cwd=ROOT, env=environment
    )
    base = f"http://127.0.0.1:{port}"

    def healthy():
        try:
            return requests.get(f"{base}/healthz", timeout=1).status_code == 200
        except requests.RequestException:  # not listening yet, or its workers still booting
            return False

    if not wait_until(healthy, timeout=30, every=0.2):
        process.kill()
        pytest.fail("gunicorn did not start")
    return base, process


def stop_gunicorn(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
