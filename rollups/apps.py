import atexit

from django.apps import AppConfig


class RollupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rollups"
    verbose_name = "Rollups"

    def ready(self):
        from github import signals as github_signals

        from . import receivers, recorder

        github_signals.response_received.connect(receivers.github_response, dispatch_uid="rollup-github-calls")
        # What a process counted in its last seconds is written as it exits (gunicorn, Celery).
        atexit.register(recorder.flush)
