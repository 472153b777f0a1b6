from rest_framework import serializers

from . import matching
from .destinations import DestinationRefused, check_url
from .models import Attempt, Message, Subscription


def _checked(check, value):
    try:
        return check(value)
    except matching.FilterError as exc:
        raise serializers.ValidationError(str(exc)) from None


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as the API shows it: never its secret."""

    events = serializers.ListField(child=serializers.CharField(), help_text='GitHub event names; ["*"] for all.')
    actions = serializers.ListField(child=serializers.CharField(), required=False, help_text='"event.action" strings.')
    repositories = serializers.ListField(child=serializers.CharField(), required=False, help_text='"owner/name" globs.')
    branches = serializers.ListField(child=serializers.CharField(), required=False, help_text="Branch globs.")
    max_per_second = serializers.IntegerField(min_value=1, max_value=10_000, required=False, allow_null=True)

    class Meta:
        model = Subscription
        fields = ["id", *Subscription.SETTABLE_FIELDS, *Subscription.STATE_FIELDS, "created_at", "updated_at"]
        read_only_fields = [*Subscription.STATE_FIELDS, "created_at", "updated_at"]

    def validate_url(self, value):
        try:
            check_url(value)
        except DestinationRefused as exc:
            raise serializers.ValidationError(f"The URL {exc}") from None
        return value

    def validate_events(self, value):
        return _checked(matching.check_events, value)

    def validate_actions(self, value):
        return _checked(matching.check_actions, value)

    def validate_repositories(self, value):
        return _checked(matching.check_repositories, value)

    def validate_branches(self, value):
        return _checked(matching.check_branches, value)


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="whsec_…: shown in this answer only.")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new whsec_… secret: shown in this answer only.")
    previous_secret_expires_at = serializers.DateTimeField(help_text="Until then the previous secret signs too.")


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["attempted_at", "succeeded", "status_code", "duration_ms", "response_body", "error"]


class MessageSerializer(serializers.ModelSerializer):
    delivery_id = serializers.CharField(source="event.delivery_id", default=None, read_only=True)
    attempts = AttemptSerializer(source="attempt_set", many=True, read_only=True)
    attempt_count = serializers.IntegerField(source="attempts", read_only=True, help_text="Attempts made so far.")

    class Meta:
        model = Message
        fields = [
            "id",
            "msg_id",
            "type",
            "event_id",
            "delivery_id",
            "status",
            "attempt_count",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "created_at",
            "delivered_at",
        ]


class ReplaySerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=["failed", "all"], default="failed")

    def validate(self, data):
        if data.get("until") is not None and data["until"] <= data["since"]:
            raise serializers.ValidationError({"until": "must be after since."})
        return data


class ReplayedSerializer(serializers.Serializer):
    replayed = serializers.IntegerField(help_text="How many messages go out again.")
