"""Installation access tokens: fetched with the App's JWT, shared by every process, encrypted at rest.

A token lives an hour. Every process and host uses the one in the shared
cache; it is replaced when less than ``REFRESH_BEFORE`` seconds remain, by
one process at a time (a cache lock): the others keep using the current
token while it is still good, or wait briefly for the new one, so N
processes starting together cost one token request, not N. The token is
stored sealed with a key derived from ``SECRET_KEY`` (Fernet): never
plaintext in Redis, and never in a log line, a metric or an error message.

Right after creation GitHub may still refuse a token for a moment
(replication lag): a 401 on a token younger than ``FRESH_TOKEN_SECONDS`` is
retried with backoff (``mend_401``).
"""

import base64
import json
import threading
import time
from contextlib import nullcontext
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from django.utils.crypto import salted_hmac

from . import cache
from .errors import GitHubError, GitHubUnavailable

REFRESH_BEFORE = 300
# A token with less than this left is not used while another process refreshes it.
MIN_USABLE_SECONDS = 30
# Longer than a token request can take (retries, a rate-limit wait, the App's write spacing).
LOCK_TIMEOUT = 120
WAIT_FOR_REFRESH_SECONDS = 5.0
FRESH_TOKEN_SECONDS = 10
LAG_RETRY_DELAYS = (0.5, 1.0, 2.0)


def _sealer():
    # salted_hmac keys the digest with SECRET_KEY; the salt keeps this key apart from Django's own uses.
    digest = salted_hmac("github.installation_tokens", "fernet-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(token, expires_at, created_at):
    data = json.dumps({"token": token, "expires_at": expires_at, "created_at": created_at}).encode()
    return {"sealed": _sealer().encrypt(data).decode()}


def unseal(value):
    """(token, expires_at, created_at) from what ``seal`` stored; None for anything else (or another SECRET_KEY)."""
    if not isinstance(value, dict) or not isinstance(value.get("sealed"), str):
        return None
    try:
        data = json.loads(_sealer().decrypt(value["sealed"].encode()))
        return data["token"], float(data["expires_at"]), float(data["created_at"])
    except (InvalidToken, ValueError, KeyError, TypeError):
        return None


def token_cache_key(installation_id):
    return f"gh:installation-token:{int(installation_id)}"


def fetch_installation_token(app_client, installation_id):
    """POST /app/installations/{id}/access_tokens with the App's JWT: (token, expires_at as epoch seconds)."""
    body = app_client.post("/app/installations/{installation_id}/access_tokens", installation_id=installation_id).body
    try:
        token, expires_at = body["token"], datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    except (TypeError, KeyError, AttributeError, ValueError):
        raise GitHubUnavailable("GitHub's answer to an installation token request is malformed") from None
    if not isinstance(token, str) or not token:
        raise GitHubUnavailable("GitHub's answer to an installation token request is malformed")
    return token, expires_at.timestamp()


class InstallationCredentials:
    """Authenticates as one installation of the App, with its shared token."""

    kind = "installation"
    asks_rate_limit = True  # GitHub answers GET /rate_limit for it

    def __init__(self, installation_id, *, fetch_token, clock=time.time, sleep=time.sleep):
        self.installation_id = int(installation_id)
        self.key = f"installation:{self.installation_id}"
        self._fetch_token = fetch_token  # () -> (token, expires_at)
        self.clock = clock
        self.sleep = sleep
        self._held = None  # this process's copy: used while the shared cache is down
        self._lock = threading.RLock()
        # Retries spent on the 401s of one token (its created_at), so each new token gets its own.
        self._retries = (None, 0)

    def __repr__(self):
        return f"<InstallationCredentials installation {self.installation_id}>"

    def authorization(self):
        token, _, _ = self._current()
        return f"token {token}"

    def drop(self):
        """Forget the token everywhere (the installation was deleted or suspended)."""
        cache.delete(self._cache_key())
        with self._lock:
            self._held = None

    def mend_401(self, headers, body):
        """After a 401: retry (True) when a wait or a new token can mend it.

        On a token just created it is GitHub's replication lag: wait and retry,
        with backoff. On an older one the token was revoked: drop it everywhere
        and retry once with a new one.
        """
        held = self._read()
        if held is None:
            return False
        token_created, spent = self._retries
        if token_created != held[2]:
            spent = 0
        if self.clock() - held[2] <= FRESH_TOKEN_SECONDS:
            if spent >= len(LAG_RETRY_DELAYS):
                return False
            self.sleep(LAG_RETRY_DELAYS[spent])
        elif spent >= 1:
            return False
        else:
            self.drop()
        self._retries = (held[2], spent + 1)
        return True

    # --- The shared token ------------------------------------------------------

    def _cache_key(self):
        return token_cache_key(self.installation_id)

    def _read(self):
        held = unseal(cache.get(self._cache_key()))
        if held is not None or cache.is_available():
            # The shared copy is the truth: absent means dropped (installation deleted or suspended).
            return held
        with self._lock:
            return self._held

    def _current(self):
        held = self._read()
        now = self.clock()
        if held is not None and held[1] - now > REFRESH_BEFORE:
            return held
        lock = cache.lock(f"gh:installation-token-lock:{self.installation_id}", LOCK_TIMEOUT)
        acquired = False
        if lock is not None:
            try:
                acquired = lock.acquire(blocking=False)
            except Exception as exc:
                cache.note_failure("lock", exc)
                lock = None
        if lock is not None and not acquired:
            # Another process is refreshing: keep using the current token while it is good,
            # else wait for the new one (and fetch one ourselves only if it never comes).
            if held is not None and held[1] - now > MIN_USABLE_SECONDS:
                return held
            deadline = time.monotonic() + WAIT_FOR_REFRESH_SECONDS
            while time.monotonic() < deadline:
                self.sleep(0.05)
                fresh = self._read()
                if fresh is not None and fresh[1] - self.clock() > REFRESH_BEFORE:
                    return fresh
        try:
            # Without a shared lock (local-memory cache), one fetch at a time in this process.
            with self._lock if lock is None else nullcontext():
                fresh = self._read()  # refreshed while we waited for the lock?
                if fresh is not None and fresh[1] - self.clock() > REFRESH_BEFORE:
                    return fresh
                try:
                    token, expires_at = self._fetch_token()
                except GitHubError:
                    if held is not None and held[1] - self.clock() > MIN_USABLE_SECONDS:
                        return held  # refresh failed; the current token still works: try again next call
                    raise
                created = (token, expires_at, self.clock())
                cache.set(self._cache_key(), seal(*created), max(1, int(expires_at - self.clock())))
                self._held = created
                return created
        finally:
            if acquired:
                try:
                    lock.release()
                except Exception:
                    # Expired (a very slow fetch) or Redis gone: its timeout frees it; not a cache outage.
                    pass
