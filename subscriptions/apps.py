from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self):
        from webhooks.signals import event_processed, events_pruning

        from . import checks, metrics, services  # noqa: F401 (checks registers the start-up checks)

        # Messages are created in the transaction that marks the event processed: never lost.
        event_processed.connect(services.on_event_processed, dispatch_uid="subscriptions-fan-out")
        events_pruning.connect(services.on_events_pruning, dispatch_uid="subscriptions-prune")
        metrics.initialise()  # every series from zero, before the first message
