from django.db import models
from django.utils import timezone

from github import sansio
from github.credentials import credential_label


class GitHubRateLimit(models.Model):
    """A snapshot of one rate-limit resource of one token, as GitHub reported it.

    Rows are history, written at most every GITHUB_RATE_LIMIT_HISTORY_INTERVAL
    seconds per token and resource (or on demand); the latest state lives in
    the cache. The token itself is never stored, only its SHA-256.
    """

    class Source(models.TextChoices):
        HEADERS = sansio.FROM_HEADERS, "x-ratelimit-* response headers"
        RATE_LIMIT_ENDPOINT = sansio.FROM_RATE_LIMIT_ENDPOINT, "GET /rate_limit"

    # The credential's key: a token's SHA-256 (hex), ``app:<id>`` or ``installation:<id>``; never a token.
    token_hash = models.CharField(
        max_length=64, help_text="The credential: a token's SHA-256 (hex), app:<id> or installation:<id>."
    )
    resource = models.CharField(max_length=64, help_text="GitHub's rate-limit resource: core, search, graphql, ...")
    limit = models.PositiveIntegerField()
    remaining = models.PositiveIntegerField()
    used = models.PositiveIntegerField()
    reset_at = models.DateTimeField()
    observed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.HEADERS)

    class Meta:
        db_table = "github_rate_limits"
        ordering = ["-observed_at", "-id"]
        verbose_name = "GitHub rate limit"
        indexes = [
            models.Index(fields=["resource"], name="github_rl_resource_idx"),
            models.Index(fields=["observed_at"], name="github_rl_observed_idx"),
            models.Index(fields=["token_hash", "resource", "observed_at"], name="github_rl_token_res_idx"),
        ]

    def __str__(self):
        return f"{self.resource} {self.remaining}/{self.limit} at {self.observed_at:%Y-%m-%d %H:%M:%S}"

    @property
    def credential(self):
        return credential_label(self.token_hash)

    @property
    def remaining_ratio(self):
        return self.remaining / self.limit if self.limit else 0.0
