from rest_framework import serializers

from .models import Installation


class InstallationSerializer(serializers.ModelSerializer):
    """An installation as staff see it: never its token, only when that token expires and the budget left."""

    repositories = serializers.SerializerMethodField(help_text="owner/name of each repository it covers (selected).")
    token_expires_at = serializers.SerializerMethodField(help_text="When the shared token expires; null when none.")
    rate_limit_remaining = serializers.SerializerMethodField(help_text="Core requests left this hour, when known.")

    class Meta:
        model = Installation
        fields = [
            "id",
            "account_login",
            "account_type",
            "repository_selection",
            "permissions",
            "events",
            "suspended_at",
            "repositories",
            "token_expires_at",
            "rate_limit_remaining",
        ]

    def get_repositories(self, installation) -> list[str]:
        return sorted(repository.full_name for repository in installation.repositories.all())

    def get_token_expires_at(self, installation) -> str | None:
        expires_at = self.context["token_expiries"].get(installation.id)
        return serializers.DateTimeField().to_representation(expires_at) if expires_at else None

    def get_rate_limit_remaining(self, installation) -> int | None:
        return self.context["budgets"].get(installation.id)
