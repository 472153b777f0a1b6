"""System checks: an App that is configured must be usable, found at start-up rather than at the first call."""

from django.core import checks

from github.app import AppKeyError

from .credentials import app_configured, app_credentials


@checks.register()
def app_key_is_usable(app_configs=None, **kwargs):
    if not app_configured():
        return []
    try:
        app_credentials()
    except AppKeyError as exc:
        return [checks.Error(f"GitHub App: {exc}.", id="installations.E001")]
    return []
