"""Operational endpoints: liveness, readiness and the Prometheus scrape."""

import hmac

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from subscriptions.selectors import BacklogCollector
from webhooks.selectors import PendingEventsCollector

_migrations_checked = False


def home(request):
    """``/``: staff to the admin, whose index is the staff dashboard; anyone else to its login; never a 404 page."""
    if request.user.is_authenticated and request.user.is_staff:
        return HttpResponseRedirect(reverse("admin:index"))
    return HttpResponseRedirect(f"{reverse('admin:login')}?next={reverse('admin:index')}")


@require_GET
def healthz(request):
    """The process answers; no dependency is touched."""
    return JsonResponse({"status": "ok"})


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_migrations():
    global _migrations_checked
    if _migrations_checked:  # applied migrations do not un-apply while we run
        return
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("unapplied migrations")
    _migrations_checked = True


def _check_cache():
    # django-redis swallows errors (IGNORE_EXCEPTIONS), so ask Redis directly.
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):
        client.get_client(write=True).ping()
    else:
        cache.set("readyz", "1", 5)


def _check_broker():
    from config.celery import app

    if app.conf.task_always_eager:
        return "in-process"
    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    return "ok"


READINESS_CHECKS = (
    ("database", _check_database),
    ("migrations", _check_migrations),
    ("cache", _check_cache),
    ("broker", _check_broker),
)


def readiness():
    """check name -> "ok" (or what it is) or "error: <kind>", for /readyz and the scrape alike."""
    checks = {}
    for name, check in READINESS_CHECKS:
        try:
            checks[name] = check() or "ok"
        except Exception as exc:  # any failure of a dependency means "not ready"
            checks[name] = f"error: {exc.__class__.__name__}"
            if isinstance(exc, DatabaseError):
                connection.close()
    return checks


class ReadinessCollector:
    """Prometheus collector: ``service_ready{check}`` 1 or 0, what /readyz would answer, at scrape time."""

    def collect(self):
        ready = GaugeMetricFamily("service_ready", "1 when the readiness check passes (as /readyz).", labels=["check"])
        for name, result in readiness().items():
            ready.add_metric([name], 0 if result.startswith("error") else 1)
        yield ready


@require_GET
def readyz(request):
    """Ready to serve: database, migrations, cache and broker; 503 naming what failed."""
    checks = readiness()
    failed = [name for name, result in checks.items() if result.startswith("error")]
    if failed:
        return JsonResponse(
            {"status": "unavailable", "detail": f"Unavailable: {', '.join(failed)}.", "checks": checks}, status=503
        )
    return JsonResponse({"status": "ready", "checks": checks})


@require_GET
def metrics(request):
    """Prometheus exposition: the sum over all processes in multiprocess mode."""
    if settings.METRICS_TOKEN:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.METRICS_TOKEN.encode()):
            return JsonResponse({"detail": "A valid bearer token is required."}, status=401)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    # Queue depth is read from the database at scrape time, in this process only.
    live = CollectorRegistry()
    live.register(PendingEventsCollector())
    live.register(BacklogCollector())
    live.register(ReadinessCollector())
    return HttpResponse(generate_latest(registry) + generate_latest(live), content_type=CONTENT_TYPE_LATEST)
