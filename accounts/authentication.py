import threading
import time

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_token


class _RecentTokens:
    """Tokens seen in the last API_TOKEN_CACHE_SECONDS, so a busy client costs
    no query per request. Revoking a token or changing a user clears it in
    the process that did so (signals in apps.py); others follow within the TTL."""

    MAX_ENTRIES = 10_000

    def __init__(self):
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, key_hash):
        entry = self._entries.get(key_hash)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def put(self, key_hash, token):
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + settings.API_TOKEN_CACHE_SECONDS, token)

    def clear(self, **kwargs):
        with self._lock:
            self._entries.clear()


recent_tokens = _RecentTokens()


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` or ``Bearer <key>``, checked against stored hashes."""

    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        auth = authentication.get_authorization_header(request).split()
        if not auth or auth[0].lower() not in self.keywords:
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: expected 'Token <key>'.")
        try:
            key = auth[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header: the token has invalid characters.")
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key):
        key_hash = hash_token(key)
        token = recent_tokens.get(key_hash)
        if token is None:
            try:
                token = ApiToken.objects.select_related("user").get(key_hash=key_hash)
            except ApiToken.DoesNotExist:
                raise exceptions.AuthenticationFailed("Invalid token.")
            if not token.user.is_active:
                raise exceptions.AuthenticationFailed("User inactive or deleted.")
            now = timezone.now()
            # One write a minute at most per token, not one per request.
            if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
                token.last_used_at = now
            recent_tokens.put(key_hash, token)
        return token.user, token
