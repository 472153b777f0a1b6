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

REFRESH_BEFORE = 300
# A token with less than this left is not used while another process refreshes it.
MIN_USABLE_SECONDS = 30
LOCK_TIMEOUT = 30
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
    expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")).timestamp()
    return body["token"], expires_at


class InstallationCredentials:
    """Authenticates as one installation of the App, with its shared token."""

    kind = "installation"

    def __init__(self, installation_id, *, fetch_token, clock=time.time, sleep=time.sleep):
        self.installation_id = int(installation_id)
        self.key = f"installation:{self.installation_id}"
        self._fetch_token = fetch_token  # () -> (token, expires_at)
        self.clock = clock
        self.sleep = sleep
        self._held = None  # this process's copy: used while the shared cache is down
        self._lock = threading.RLock()
        self._lag_retries = 0

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
        """A 401 on a token just created is GitHub's replication lag: wait a little and retry (True)."""
        held = self._read()
        if held is None or self.clock() - held[2] > FRESH_TOKEN_SECONDS:
            self._lag_retries = 0
            return False
        if self._lag_retries >= len(LAG_RETRY_DELAYS):
            self._lag_retries = 0
            return False
        self.sleep(LAG_RETRY_DELAYS[self._lag_retries])
        self._lag_retries += 1
        return True

    # --- The shared token ------------------------------------------------------

    def _cache_key(self):
        return token_cache_key(self.installation_id)

    def _read(self):
        held = unseal(cache.get(self._cache_key()))
        if held is not None:
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
                token, expires_at = self._fetch_token()
                created = (token, expires_at, self.clock())
                cache.set(self._cache_key(), seal(*created), max(1, int(expires_at - self.clock())))
                self._held = created
                return created
        finally:
            if acquired:
                try:
                    lock.release()
                except Exception as exc:
                    cache.note_failure("lock", exc)
