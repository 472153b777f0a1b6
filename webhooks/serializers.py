from rest_framework import serializers

from github.names import is_valid_owner, is_valid_repository

from . import configs
from .constants import GITHUB_EVENTS, WILDCARD_EVENT
from .models import WebhookConfig, WebhookEvent
from .outcomes import DeliveryOutcome


def validate_repository_name(value):
    owner, slash, name = value.partition("/")
    if not (is_valid_repository(owner, name) if slash else is_valid_owner(owner)):
        raise serializers.ValidationError("Expected 'owner/name' or 'owner' with GitHub's allowed characters.")
    return value


class WebhookConfigSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(
        write_only=True, min_length=16, max_length=255, trim_whitespace=False, style={"input_type": "password"}
    )
    has_secret = serializers.SerializerMethodField()
    has_previous_secret = serializers.SerializerMethodField()
    events = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False, required=False)
    # Annotated by selectors.config_list(); a config just created has had no delivery.
    last_delivery_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the newest stored delivery of this config was received (null: none stored).",
    )

    class Meta:
        model = WebhookConfig
        fields = [
            "id",
            "repository",
            "url",
            "secret",
            "has_secret",
            "has_previous_secret",
            "previous_secret_expires_at",
            "events",
            "content_type",
            "active",
            "hook_id",
            "hook_synced_at",
            "hook_sync_error",
            "last_delivery_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["hook_synced_at", "hook_sync_error", "created_at", "updated_at"]

    def get_has_secret(self, config) -> bool:
        return bool(config.secret)

    def get_has_previous_secret(self, config) -> bool:
        return bool(config.previous_secret)

    def validate_repository(self, value):
        validate_repository_name(value)
        others = WebhookConfig.objects.filter(repository__iexact=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("A webhook config for this repository already exists.")
        return value

    def validate_events(self, value):
        unknown = sorted({event for event in value if event != WILDCARD_EVENT and event not in GITHUB_EVENTS})
        if unknown:
            raise serializers.ValidationError(f"Unknown GitHub event(s): {', '.join(unknown)}.")
        return sorted(set(value))

    def update(self, config, validated_data):
        new_secret = validated_data.pop("secret", None)
        if new_secret is not None:
            configs.rotate_secret_fields(
                config, new_secret, previous_secret_expires_at=validated_data.pop("previous_secret_expires_at", None)
            )
        return super().update(config, validated_data)


class WebhookEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "delivery_id",
            "event",
            "action",
            "hook_id",
            "installation_id",
            "repository_full_name",
            "sender_login",
            "status",
            "attempts",
            "last_error",
            "received_at",
            "processed_at",
            "config",
        ]
        read_only_fields = fields


class WebhookEventDetailSerializer(WebhookEventSerializer):
    class Meta(WebhookEventSerializer.Meta):
        fields = WebhookEventSerializer.Meta.fields + ["headers", "payload"]
        read_only_fields = fields


class DeliveryAcceptedSerializer(serializers.Serializer):
    delivery_id = serializers.CharField()
    event = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=DeliveryOutcome.choices)
