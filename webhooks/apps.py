from django.apps import AppConfig
from django.core.signals import request_started
from django.db.models.signals import post_delete, post_save

_METRICS_AT_FIRST_REQUEST = "webhook-metrics-initialise"


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from . import checks, outbox, tasks  # noqa: F401 (checks: registered on import)
        from .models import WebhookConfig
        from .selectors import config_cache

        # Stored events reach the workers through the Celery tasks; the outbox
        # (on the receiver's path) never imports Celery itself.
        outbox.connect(tasks.CeleryWorkers())

        # Creates the metric series at zero before the first delivery, once every
        # app is loaded: apps after this one register their handlers in their own ready().
        request_started.connect(initialise_metrics, dispatch_uid=_METRICS_AT_FIRST_REQUEST)

        # Any saved or deleted config (API, admin, command) is in force in every process at once.
        post_save.connect(config_cache.changed, sender=WebhookConfig, dispatch_uid="webhook-config-cache")
        post_delete.connect(config_cache.changed, sender=WebhookConfig, dispatch_uid="webhook-config-cache-delete")


def initialise_metrics(**kwargs):
    """At the first request of the process, then never again."""
    from . import metrics

    request_started.disconnect(dispatch_uid=_METRICS_AT_FIRST_REQUEST)
    metrics.initialise()
