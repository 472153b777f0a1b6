from celery import shared_task
from celery.signals import worker_process_shutdown

from . import recorder, services


@shared_task(ignore_result=True)
def prune_rollups():
    return services.prune_counts()


@worker_process_shutdown.connect
def _flush_at_shutdown(**kwargs):
    # A pool process exits without running atexit handlers.
    recorder.flush()
