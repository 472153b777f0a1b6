from django.apps import AppConfig


class InstallationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "installations"
    verbose_name = "GitHub App installations"

    def ready(self):
        # The start-up check of the App's key, and the installation events' handlers.
        from . import checks, handlers  # noqa: F401
