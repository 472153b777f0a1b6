from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import services


# max_retries=None: the attempt limit is WEBHOOK_PROCESSING_MAX_ATTEMPTS, kept
# on the event row (it survives worker restarts and sweeps), not Celery's.
@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def process_event(self, event_id):
    retry_in = services.process_event(event_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(acks_late=True, ignore_result=True)
def process_events(event_ids):
    """A batch from the receiver's relay or the sweep; each event is claimed on its own."""
    for event_id in event_ids:
        retry_in = services.process_event(event_id)
        if retry_in is not None:
            process_event.apply_async((event_id,), countdown=retry_in)


@shared_task(ignore_result=True)
def sweep_pending_events():
    return services.sweep_pending_events()


@shared_task(ignore_result=True)
def prune_events():
    return services.prune_events()


@shared_task(ignore_result=True)
def redeliver_failed_deliveries():
    """Hourly: GitHub keeps failed deliveries 3 days and never retries them itself."""
    since = timezone.now() - timedelta(hours=settings.WEBHOOK_REDELIVER_LOOKBACK_HOURS)
    reports = services.redeliver_failed_for_all(since)
    return {repository: report.redelivered for repository, report in reports.items()}
