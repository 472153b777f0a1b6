"""Who the client is to GitHub.

A credential gives the ``Authorization`` header of a request and a ``key``:
a stable name that is not the secret (its SHA-256), under which rate-limit
state, throttling and cache entries are kept. ``kind`` is what metrics and
the API may show. GitHub App installation tokens plug in here.
"""

import hashlib


def token_hash(token):
    """The only form in which a token is stored or compared: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


class TokenCredentials:
    """A personal access token (``GITHUB_TOKEN``); without one the client is anonymous."""

    kind = "token"
    asks_rate_limit = True  # GitHub answers GET /rate_limit for it

    def __init__(self, token=""):
        self._token = token
        self.key = token_hash(token)

    def authorization(self):
        return f"Bearer {self._token}" if self._token else None

    def __repr__(self):
        # Never the token.
        return f"<TokenCredentials {self.key[:8] or 'anonymous'}>"


def credential_for(credentials, template, path):
    """The credential of one call: a provider's choice (``for_request``, e.g. the installation of
    ``owner/repo`` in App mode), or the credential itself."""
    choose = getattr(credentials, "for_request", None)
    return choose(template, path) if choose is not None else credentials


def credential_label(key):
    """What the API may show of a credential key: ``token``, ``app`` or ``installation:<id>``."""
    if key.startswith("installation:"):
        return key
    if key.startswith("app:"):
        return "app"
    return "token" if key else "anonymous"


def credential_kind(key):
    """What metrics may show of a credential key: its kind only (``token``, ``app``, ``installation``),
    so the number of series stays bounded however many installations there are."""
    return credential_label(key).partition(":")[0]


def every_credential(credentials):
    """Every credential a provider holds (the App's router: the App, each live installation, the token)."""
    every = getattr(credentials, "every", None)
    return every() if every is not None else [credentials]


def credential_named(credentials, label):
    """The credential ``label`` (as ``credential_label`` gives it) names among a provider's, or None.

    A provider with several credentials (the App's router) answers with ``by_label``.
    """
    find = getattr(credentials, "by_label", None)
    if find is not None:
        return find(label)
    return credentials if credential_label(credentials.key) == label else None
