from rest_framework import serializers

from .exceptions import GITHUB_ERROR_STATUSES


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API: a human ``detail``, and what else applies."""

    detail = serializers.CharField()
    errors = serializers.JSONField(
        required=False, help_text="Validation: field -> messages. From GitHub (422): GitHub's errors list."
    )
    github_status = serializers.IntegerField(
        required=False, allow_null=True, help_text="What GitHub answered, when the error came from GitHub."
    )
    documentation_url = serializers.CharField(required=False)


# What an operation that calls GitHub can answer besides its success (see api.exceptions).
GITHUB_ERROR_RESPONSES = dict.fromkeys(GITHUB_ERROR_STATUSES, ErrorSerializer)
