from django.apps import AppConfig


class RepositoriesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "repositories"
    verbose_name = "Repositories"

    def ready(self):
        # Registers the handlers that turn webhook events into repository state.
        from . import handlers  # noqa: F401
