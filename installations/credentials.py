"""The App's credentials from settings: GITHUB_APP_ID and its private key (text or file)."""

from pathlib import Path

from django.conf import settings

from github.app import AppCredentials, AppKeyError


def app_configured():
    return bool(settings.GITHUB_APP_ID.strip())


def app_private_key_text():
    """The key's PEM text from GITHUB_APP_PRIVATE_KEY, else from GITHUB_APP_PRIVATE_KEY_FILE."""
    if settings.GITHUB_APP_PRIVATE_KEY.strip():
        return settings.GITHUB_APP_PRIVATE_KEY
    path = settings.GITHUB_APP_PRIVATE_KEY_FILE.strip()
    if not path:
        raise AppKeyError("GITHUB_APP_ID is set but neither GITHUB_APP_PRIVATE_KEY nor GITHUB_APP_PRIVATE_KEY_FILE is")
    try:
        return Path(path).read_text()
    except (OSError, UnicodeError) as exc:
        raise AppKeyError(f"GITHUB_APP_PRIVATE_KEY_FILE cannot be read ({exc.__class__.__name__})") from None


def app_credentials():
    """The App's AppCredentials; AppKeyError (naming the cause, never the key) when they cannot be built."""
    if not app_configured():
        raise AppKeyError("GITHUB_APP_ID is not set: the service runs with GITHUB_TOKEN only")
    return AppCredentials(settings.GITHUB_APP_ID, app_private_key_text())
