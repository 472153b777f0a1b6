"""Query and body validation of the GitHub proxy API (/api/v1/github/<owner>/<repo>/...)."""

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from .services import SETTINGS_FIELDS

DIRECTIONS = ["asc", "desc"]


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, min_value=1)
    per_page = serializers.IntegerField(required=False, min_value=1, max_value=100)


class PullsQuerySerializer(PageQuerySerializer):
    state = serializers.ChoiceField(choices=["open", "closed", "all"], required=False)
    head = serializers.CharField(required=False, max_length=255)
    base = serializers.CharField(required=False, max_length=255)
    sort = serializers.ChoiceField(choices=["created", "updated", "popularity", "long-running"], required=False)
    direction = serializers.ChoiceField(choices=DIRECTIONS, required=False)


class IssuesQuerySerializer(PageQuerySerializer):
    state = serializers.ChoiceField(choices=["open", "closed", "all"], required=False)
    labels = serializers.CharField(required=False, max_length=1000, help_text="Comma-separated label names.")
    assignee = serializers.CharField(required=False, max_length=100)
    creator = serializers.CharField(required=False, max_length=100)
    since = serializers.CharField(required=False, help_text="ISO 8601 timestamp.")
    sort = serializers.ChoiceField(choices=["created", "updated", "comments"], required=False)
    direction = serializers.ChoiceField(choices=DIRECTIONS, required=False)

    def validate_since(self, value):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise serializers.ValidationError("Expected an ISO 8601 timestamp, e.g. 2024-01-31T12:00:00Z.")
        return value


class LabelColorField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(
            r"^[0-9a-fA-F]{6}$",
            error_messages={"invalid": "Expected 6 hexadecimal digits without '#', e.g. 'f29513'."},
            **kwargs,
        )


class LabelCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    color = LabelColorField()
    description = serializers.CharField(max_length=100, required=False, allow_blank=True)


class LabelUpdateSerializer(serializers.Serializer):
    new_name = serializers.CharField(max_length=50, required=False)
    color = LabelColorField(required=False)
    description = serializers.CharField(max_length=100, required=False, allow_blank=True)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError("Give at least one of new_name, color, description.")
        return data


class RepositorySettingsSerializer(serializers.Serializer):
    """The allow-list of repository settings; any other field is refused by name."""

    description = serializers.CharField(required=False, allow_blank=True, max_length=350)
    homepage = serializers.CharField(required=False, allow_blank=True, max_length=255)
    private = serializers.BooleanField(required=False)
    visibility = serializers.ChoiceField(choices=["public", "private", "internal"], required=False)
    has_issues = serializers.BooleanField(required=False)
    has_projects = serializers.BooleanField(required=False)
    has_wiki = serializers.BooleanField(required=False)
    default_branch = serializers.CharField(required=False, max_length=255)
    allow_squash_merge = serializers.BooleanField(required=False)
    allow_merge_commit = serializers.BooleanField(required=False)
    allow_rebase_merge = serializers.BooleanField(required=False)
    allow_auto_merge = serializers.BooleanField(required=False)
    delete_branch_on_merge = serializers.BooleanField(required=False)
    archived = serializers.BooleanField(required=False)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(SETTINGS_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                {name: ["This setting cannot be changed through this API."] for name in unknown}
            )
        return super().to_internal_value(data)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError(f"Give at least one of: {', '.join(SETTINGS_FIELDS)}.")
        return data


class CacheInvalidatedSerializer(serializers.Serializer):
    deleted = serializers.IntegerField()
