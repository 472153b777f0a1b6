from rest_framework import serializers

from .models import GitHubRateLimit


class GitHubRateLimitSerializer(serializers.ModelSerializer):
    credential = serializers.CharField(read_only=True, help_text="token, app or installation:<id>")

    class Meta:
        model = GitHubRateLimit
        fields = [
            "id",
            "token_hash",
            "credential",
            "resource",
            "limit",
            "remaining",
            "used",
            "reset_at",
            "observed_at",
            "source",
        ]
        read_only_fields = fields


class CredentialQuerySerializer(serializers.Serializer):
    credential = serializers.RegexField(
        r"^(token|app|installation:[0-9]+)$",
        required=False,
        help_text="Whose limits: token, app or installation:<id>. Default: the service's own credential "
        "(the token; the App in App mode without GITHUB_TOKEN).",
        error_messages={"invalid": "Give token, app or installation:<id>."},
    )


class ResourceStateSerializer(serializers.Serializer):
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    used = serializers.IntegerField()
    reset = serializers.IntegerField(help_text="Epoch seconds at which the window resets (GitHub's x-ratelimit-reset).")
    reset_at = serializers.DateTimeField()
    observed_at = serializers.DateTimeField()
    source = serializers.CharField()


class RateLimitStatusSerializer(serializers.Serializer):
    credential = serializers.CharField(help_text="Whose limits these are: token, app or installation:<id>.")
    resources = serializers.DictField(child=ResourceStateSerializer())
    refreshed = serializers.BooleanField(help_text="True when GET /rate_limit was asked for this answer.")
    stale = serializers.BooleanField(help_text="True when a refresh was due but GitHub could not be asked.")


class ResourceHealthSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="healthy, degraded or exhausted")
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    remaining_ratio = serializers.FloatField()
    threshold = serializers.FloatField()
    reset = serializers.IntegerField()
    observed_at = serializers.DateTimeField()


class RateLimitHealthSerializer(serializers.Serializer):
    credential = serializers.CharField(help_text="Whose limits these are: token, app or installation:<id>.")
    status = serializers.CharField(help_text="healthy, degraded or exhausted")
    threshold = serializers.FloatField()
    resources = serializers.DictField(child=ResourceHealthSerializer())
    detail = serializers.CharField(required=False)
