"""The service's GitHub credentials: the App's (GITHUB_APP_ID and its key) with one installation per repository,
else GITHUB_TOKEN."""

import threading
import time
from functools import partial
from pathlib import Path

from django.conf import settings

from github import cache
from github.app import AppCredentials, AppKeyError
from github.client import GitHubClient
from github.credentials import TokenCredentials
from github.errors import GitHubError, InstallationUnavailable
from github.installation_tokens import InstallationCredentials, fetch_installation_token

from . import selectors, services


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


class AppRouter:
    """App mode: a call about owner/repo goes as the installation that covers it, ``/app`` calls as the App.

    Which installation covers a repository is known from installation events,
    else asked of GitHub once (``GET /repos/{owner}/{repo}/installation``, as
    the App) and remembered; "not installed" is remembered for
    ``NOT_INSTALLED_SECONDS``. Without an installation the call goes with
    ``GITHUB_TOKEN`` when one is set, else it is refused with a clear 404.
    """

    kind = "app"
    asks_rate_limit = False  # a router is not asked itself; the credential it picks is

    def __init__(self, app, fallback=None):
        self.app = app
        self.key = app.key
        self.fallback = fallback
        self._installations = {}
        self._lock = threading.Lock()
        self._app_client = None

    def __repr__(self):
        return f"<AppRouter app {self.app.app_id}>"

    def for_request(self, template, path):
        if template.startswith("/app") or template == INSTALLATION_OF_REPOSITORY:
            return self.app
        owner, repo = path.get("owner"), path.get("repo")
        if not owner or not repo:
            return self.fallback or self.app
        covering = self._covering(str(owner), str(repo))
        if covering is None:
            if self.fallback is not None:
                return self.fallback
            raise InstallationUnavailable(f"The GitHub App is not installed on {owner}/{repo}.", status=404)
        installation_id, suspended = covering
        if suspended:
            raise InstallationUnavailable(f"The GitHub App's installation on {owner} is suspended.", status=403)
        return self.installation(installation_id)

    def by_label(self, label):
        """``app``, ``token`` (the fallback, when set) or ``installation:<id>`` of a live installation; else None."""
        if label == "app":
            return self.app
        if label == "token":
            return self.fallback
        kind, _, number = label.partition(":")
        if kind == "installation" and number.isdigit() and selectors.is_live(int(number)):
            return self.installation(int(number))
        return None

    def every(self):
        fallback = [self.fallback] if self.fallback is not None else []
        return [self.app, *fallback, *(self.installation(number) for number in selectors.live_ids())]

    def installation(self, installation_id):
        """This process's credentials object of one installation (the token itself is shared)."""
        with self._lock:
            credentials = self._installations.get(installation_id)
            if credentials is None:
                fetch = partial(fetch_installation_token, self.app_client(), installation_id)
                # Tokens expire on GitHub's clock: compare with it, not with this host's.
                credentials = self._installations[installation_id] = InstallationCredentials(
                    installation_id, fetch_token=fetch, clock=self.app.github_clock
                )
            return credentials

    def app_client(self):
        if self._app_client is None:
            self._app_client = GitHubClient.from_settings(credentials=self.app)
        return self._app_client

    def _covering(self, owner, repo):
        """(installation id, suspended) of the installation covering owner/repo, or None."""
        name = f"{owner}/{repo}".lower()
        known = selectors.covering.get()
        remembered = known.get(name)
        if remembered is not None and (remembered[0] is not None or time.monotonic() < remembered[1]):
            return None if remembered[0] is None else remembered
        installation = selectors.installation_covering(owner, repo)
        if installation is None and cache.get(_not_installed_key(name)) is None:
            installation = self._ask_github(owner, repo, name)
        if installation is None:
            # "Not installed" is asked again after NOT_INSTALLED_SECONDS even if no event says otherwise.
            known[name] = (None, time.monotonic() + NOT_INSTALLED_SECONDS)
            return None
        answer = known[name] = (installation.id, installation.suspended_at is not None)
        return answer

    def _ask_github(self, owner, repo, name):
        try:
            body = self.app_client().get(INSTALLATION_OF_REPOSITORY, owner=owner, repo=repo).body
        except GitHubError as exc:
            if exc.status != 404:
                raise
            cache.set(_not_installed_key(name), {"at": 1}, NOT_INSTALLED_SECONDS)
            return None
        return services.remember_installation(body, owner, repo)


INSTALLATION_OF_REPOSITORY = "/repos/{owner}/{repo}/installation"
NOT_INSTALLED_SECONDS = 60


def _not_installed_key(name):
    return f"gh:app-not-installed:{name}"


def service_credentials():
    """The service's credentials (``GITHUB_CREDENTIALS``): the App's router with GITHUB_APP_ID, else the token."""
    token = TokenCredentials(settings.GITHUB_TOKEN)
    if not app_configured():
        return token
    return AppRouter(app_credentials(), fallback=token if settings.GITHUB_TOKEN else None)
