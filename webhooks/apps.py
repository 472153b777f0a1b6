from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        # Creates the metric series at zero before the first delivery.
        from . import metrics  # noqa: F401
        from . import outbox, tasks
        from .models import WebhookConfig
        from .selectors import config_cache

        # Stored events reach the workers through the Celery tasks; the outbox
        # (on the receiver's path) never imports Celery itself.
        outbox.connect(tasks.CeleryWorkers())

        # Any saved or deleted config (API, admin, command) is in force in every process at once.
        post_save.connect(config_cache.changed, sender=WebhookConfig, dispatch_uid="webhook-config-cache")
        post_delete.connect(config_cache.changed, sender=WebhookConfig, dispatch_uid="webhook-config-cache-delete")
