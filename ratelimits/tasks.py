from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def track_rate_limits():
    """A snapshot per resource from GET /rate_limit (free of the limit); for celery beat."""
    return len(services.track_now())
