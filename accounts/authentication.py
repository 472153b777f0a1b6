from django.utils import timezone
from rest_framework import authentication, exceptions

from coherence.process_cache import ProcessCache
from github.credentials import token_hash

from .models import ApiToken

# Tokens checked in this process, by key hash: a busy client costs no query per
# request. Emptied in every process by any token or user change (apps.py).
recent_tokens = ProcessCache("api-tokens", dict)
MAX_RECENT_TOKENS = 10_000
# last_used_at is written at most this often per token.
LAST_USED_RESOLUTION_SECONDS = 60


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` or ``Bearer <key>``, checked against stored hashes."""

    keywords = (b"token", b"bearer")

    def authenticate(self, request, generation=None):
        """DRF's contract; ``generation`` is the tokens' current generation when the caller has read it."""
        auth = authentication.get_authorization_header(request).split()
        if not auth or auth[0].lower() not in self.keywords:
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: expected 'Token <key>'.")
        try:
            key = auth[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header: the token has invalid characters.") from None
        return self.authenticate_credentials(key, generation)

    def authenticate_credentials(self, key, generation=None):
        key_hash = token_hash(key)
        # The dict of this generation: an entry added below goes where it was checked.
        trusted = recent_tokens.get(generation)
        token = trusted.get(key_hash)
        if token is None:
            try:
                token = ApiToken.objects.select_related("user").get(key_hash=key_hash)
            except ApiToken.DoesNotExist:
                raise exceptions.AuthenticationFailed("Invalid token.") from None
            if not token.user.is_active:
                raise exceptions.AuthenticationFailed("User inactive or deleted.")
            if len(trusted) >= MAX_RECENT_TOKENS:
                trusted.clear()
            trusted[key_hash] = token
        now = timezone.now()
        # One write a minute at most per token, not one per request.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token
