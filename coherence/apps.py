from django.apps import AppConfig


class CoherenceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "coherence"
    verbose_name = "Process caches"
