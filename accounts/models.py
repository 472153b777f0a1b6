import secrets

from django.conf import settings
from django.db import models

from github.credentials import token_hash


class ApiTokenManager(models.Manager):
    def issue(self, user, name=""):
        """Create a token for ``user``; return ``(token, raw_key)``.

        The raw key exists only in this return value: the database keeps its
        SHA-256 hash, so a leaked database dump does not leak credentials.
        """
        token = self.model(user=user, name=name)
        raw_key = token.set_new_key()
        token.save()
        return token, raw_key


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters only, so staff can tell tokens apart.
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenManager()

    class Meta:
        db_table = "api_tokens"
        verbose_name = "API token"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    def set_new_key(self):
        """Give the token a fresh random key and return it (the only copy)."""
        raw_key = secrets.token_urlsafe(32)
        self.key_hash = token_hash(raw_key)
        self.prefix = raw_key[:6]
        return raw_key
