from django.apps import AppConfig


class InstallationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "installations"
    verbose_name = "GitHub App"

    def ready(self):
        from . import checks  # noqa: F401
