"""The GitHub App's own identity: a short-lived RS256 JWT (PyJWT), on GitHub's clock.

GitHub checks the JWT's ``iat`` and ``exp`` against its own clock and
refuses one issued "in the future" or expiring more than 10 minutes out. So
``iat`` is 60 s in the past, ``exp`` 9 minutes after ``iat``, and when GitHub
still refuses a claim (this host's clock is off), the offset to GitHub's
clock is learnt from the refusal's ``Date`` header and kept: the client
retries once with a corrected token (``correct_clock``).

The key is never logged, shown or put in an error message.
"""

import threading
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import cache
from .sansio import app_jwt_claims, is_jwt_clock_refusal, server_time

# A JWT is reused until this many seconds before its exp.
JWT_RENEW_MARGIN = 60
# How long a learnt offset to GitHub's clock is kept (clocks drift; a refusal teaches it again).
CLOCK_OFFSET_SECONDS = 24 * 3600


class AppKeyError(ValueError):
    """The configured App private key cannot be used; the message names the cause, never the key."""


def load_private_key(pem):
    """The RSA private key of a PEM text (literal ``\\n`` accepted, as an environment variable holds it)."""
    if not isinstance(pem, str | bytes) or not pem.strip():
        raise AppKeyError("no GitHub App private key is configured (GITHUB_APP_PRIVATE_KEY or _FILE)")
    text = pem.decode() if isinstance(pem, bytes) else pem
    text = text.strip().replace("\\n", "\n")
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError, UnicodeError):
        raise AppKeyError("the GitHub App private key is not a readable PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AppKeyError("the GitHub App private key is not an RSA key (GitHub signs Apps with RS256)")
    return key


class AppCredentials:
    """Authenticates as the App itself (``/app`` endpoints, installation tokens)."""

    kind = "app"
    # GitHub answers GET /rate_limit for tokens (personal or installation), not for an App's JWT:
    # the App's own limit is known only from the headers of its /app calls.
    asks_rate_limit = False

    def __init__(self, app_id, private_key, *, clock=time.time):
        app_id = str(app_id).strip()
        if not app_id:
            raise AppKeyError("GITHUB_APP_ID is empty")
        self.app_id = app_id
        self.key = f"app:{app_id}"  # the rate-limit key: the App's id is not a secret
        self._private_key = (
            load_private_key(private_key) if not isinstance(private_key, rsa.RSAPrivateKey) else private_key
        )
        self.clock = clock
        # GitHub's clock minus ours, in seconds; learnt from a refused JWT and shared with every process.
        learnt = cache.get(self._offset_key())
        self.clock_offset = float(learnt["seconds"]) if learnt else 0.0
        self._token = None
        self._renew_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self):
        return f"<AppCredentials app {self.app_id}>"

    def github_clock(self):
        """Now on GitHub's clock (ours plus the offset learnt), for what GitHub dates: JWTs, token expiry."""
        return self.clock() + self.clock_offset

    def authorization(self):
        with self._lock:
            now = self.clock() + self.clock_offset
            if self._token is None or now >= self._renew_at:
                claims = app_jwt_claims(self.app_id, now)
                self._token = jwt.encode(claims, self._private_key, algorithm="RS256")
                self._renew_at = claims["exp"] - JWT_RENEW_MARGIN
            return f"Bearer {self._token}"

    def mend_401(self, headers, body):
        """The client's hook after a 401: retry (True) when the clock was the cause."""
        return self.correct_clock(401, headers, body)

    def correct_clock(self, status, headers, body):
        """After GitHub refused the JWT's ``iat``/``exp``: adopt GitHub's clock; True when a retry is worth it."""
        if not is_jwt_clock_refusal(status, body):
            return False
        github_now = server_time(headers)
        if github_now is None:
            return False
        with self._lock:
            self.clock_offset = github_now - self.clock()
            self._token = None
        cache.set(self._offset_key(), {"seconds": self.clock_offset}, CLOCK_OFFSET_SECONDS)
        return True

    def _offset_key(self):
        return f"gh:app-clock-offset:{self.app_id}"
