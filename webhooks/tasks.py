"""Celery tasks: thin wrappers over processing and hooks, and the outbox's way to them."""

from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import hooks, processing, retention


# max_retries=None: the attempt limit is WEBHOOK_PROCESSING_MAX_ATTEMPTS, kept
# on the event row (it survives worker restarts and sweeps), not Celery's.
@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def process_event(self, event_id, received_at=None):
    retry_in = processing.process_event(event_id, _moment(received_at))
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(acks_late=True, ignore_result=True)
def process_events(events):
    """A batch from the outbox (after the receiver, the sweep, a reprocess); each event is claimed on its own.

    Each is ``[id, received_at]``, or an id alone from a message the previous version queued.
    """
    for item in events:
        event_id, received_at = (item, None) if isinstance(item, int) else item
        retry_in = processing.process_event(event_id, _moment(received_at))
        if retry_in is not None:
            process_event.apply_async((event_id, received_at), countdown=retry_in)


def _message(event):
    """``(id, received_at)`` as a task argument: JSON has no datetimes."""
    event_id, received_at = event
    return [event_id, received_at.isoformat()]


def _moment(text):
    return datetime.fromisoformat(text) if text else None


@shared_task(ignore_result=True)
def sweep_pending_events():
    return processing.sweep_pending_events()


@shared_task(ignore_result=True)
def prune_events():
    """Hourly: days made ahead for the receiver, then what is past retention removed."""
    retention.make_days_ahead()
    return retention.prune_events()


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

    def process_one(self, event):
        process_event.delay(*_message(event))

    def process_batch(self, events):
        process_events.delay([_message(event) for event in events])
