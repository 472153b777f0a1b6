from django.apps import AppConfig


class GithubfeaturesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "githubfeatures"
    verbose_name = "GitHub repositories"

    def ready(self):
        # Registers the event handlers with the webhooks registry.
        from . import handlers  # noqa: F401
