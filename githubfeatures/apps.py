from django.apps import AppConfig


class GithubfeaturesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "githubfeatures"
    verbose_name = "GitHub proxy API"

    def ready(self):
        # Registers the cache-invalidating event handler with the webhooks registry,
        # and the client's metrics so they are exported from the first scrape.
        from github import metrics  # noqa: F401

        from . import checks, handlers  # noqa: F401
