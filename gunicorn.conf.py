"""gunicorn settings, from the environment (https://docs.gunicorn.org/en/stable/settings.html).

Metrics: prometheus_client's multiprocess mode needs PROMETHEUS_MULTIPROC_DIR
set before any worker imports it, emptied when the master starts, and dead
workers marked so their live gauges disappear. All three happen here.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
wsgi_app = "config.wsgi:application"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# Request id (set by RequestIdMiddleware on the response) in every access line.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s ua="%(a)s"'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Large webhook bodies arrive in one request; the app enforces WEBHOOK_MAX_BODY_BYTES.
limit_request_field_size = 16384

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(__file__).resolve().parent / "prometheus-multiproc"))


def on_starting(server):
    path = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
