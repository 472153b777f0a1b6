from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, ignore_result=True)
def process_event(self, event_id):
    retry_in = services.process_event(event_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in, max_retries=None)


@shared_task(ignore_result=True)
def sweep_pending_events():
    return services.sweep_pending_events()


@shared_task(ignore_result=True)
def prune_events():
    return services.prune_events()
