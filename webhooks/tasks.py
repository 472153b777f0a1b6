"""Celery tasks: thin wrappers over processing and hooks, and the outbox's way to them."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import hooks, processing


# max_retries=None: the attempt limit is WEBHOOK_PROCESSING_MAX_ATTEMPTS, kept
# on the event row (it survives worker restarts and sweeps), not Celery's.
@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def process_event(self, event_id):
    retry_in = processing.process_event(event_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(acks_late=True, ignore_result=True)
def process_events(event_ids):
    """A batch from the outbox (after the receiver, the sweep, a reprocess); each event is claimed on its own."""
    for event_id in event_ids:
        retry_in = processing.process_event(event_id)
        if retry_in is not None:
            process_event.apply_async((event_id,), countdown=retry_in)


@shared_task(ignore_result=True)
def sweep_pending_events():
    return processing.sweep_pending_events()


@shared_task(ignore_result=True)
def prune_events():
    return processing.prune_events()


@shared_task(ignore_result=True)
def redeliver_failed_deliveries():
    """Hourly: GitHub keeps failed deliveries 3 days and never retries them itself."""
    since = timezone.now() - timedelta(hours=settings.WEBHOOK_REDELIVER_LOOKBACK_HOURS)
    reports = hooks.redeliver_failed_for_all(since)
    return {repository: report.redelivered for repository, report in reports.items()}


class CeleryWorkers:
    """The outbox's workers (outbox.Workers): these tasks, connected by WebhooksConfig.ready."""

    def runs_inline(self):
        # Embedded mode (no broker): CELERY_TASK_ALWAYS_EAGER, read at each call
        # because it can be switched on the app at run time.
        return process_event.app.conf.task_always_eager

    def process_one(self, event_id):
        process_event.delay(event_id)

    def process_batch(self, event_ids):
        process_events.delay(event_ids)
