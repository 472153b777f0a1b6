from django.apps import AppConfig


class GithubfeaturesConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'githubfeatures'
