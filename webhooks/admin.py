import json
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.html import format_html

from . import configs, hooks, processing, selectors
from .models import WebhookConfig, WebhookEvent


def generate_secret():
    return get_random_string(40)


class WebhookConfigForm(forms.ModelForm):
    # Never rendered back: PasswordInput drops its value. Empty on change
    # means "keep the current secret".
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        min_length=16,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current secret (or, for a new config, to generate a strong one). "
        "The secret is never shown again; the previous one stays valid for the rotation grace period.",
    )

    class Meta:
        model = WebhookConfig
        fields = ["repository", "url", "events", "content_type", "active", "hook_id", "previous_secret_expires_at"]

    def save(self, commit=True):
        config = super().save(commit=False)
        new_secret = self.cleaned_data.get("new_secret")
        if new_secret:
            configs.rotate_secret_fields(config, new_secret)
        elif not config.secret:
            config.secret = generate_secret()
        if commit:
            config.save()
        return config


@admin.register(WebhookConfig)
class WebhookConfigAdmin(admin.ModelAdmin):
    form = WebhookConfigForm
    list_display = ["repository", "active", "event_list", "content_type", "hook_id", "last_delivery_at"]
    list_filter = ["active", "content_type"]
    search_fields = ["repository"]
    readonly_fields = ["last_delivery_at", "created_at", "updated_at"]
    actions = ["sync_on_github", "redeliver_failed"]

    def get_queryset(self, request):
        return selectors.with_last_delivery(super().get_queryset(request))

    # Never-delivered configs sort as the oldest on every database.
    @admin.display(description="last delivery", ordering=F("last_delivery_at").asc(nulls_first=True))
    def last_delivery_at(self, config):
        # Annotated by selectors.config_list(); absent on the add form's new config.
        return getattr(config, "last_delivery_at", None)

    @admin.action(description="Create/update on GitHub")
    def sync_on_github(self, request, queryset):
        self._for_each(request, queryset, "synced", hooks.sync_hook)

    @admin.action(description=f"Redeliver failed deliveries (last {settings.WEBHOOK_REDELIVER_LOOKBACK_HOURS} h)")
    def redeliver_failed(self, request, queryset):
        since = timezone.now() - timedelta(hours=settings.WEBHOOK_REDELIVER_LOOKBACK_HOURS)
        self._for_each(request, queryset, "checked", lambda config: hooks.redeliver_failed(config, since))

    def _for_each(self, request, queryset, verb, operation):
        for config in queryset:
            try:
                result = operation(config)
            except Exception as exc:  # shown to staff, one config at a time
                self.message_user(request, f"{config}: {exc.__class__.__name__}: {exc}", messages.ERROR)
                continue
            detail = f" ({result})" if result not in (None, True, False) else ""
            self.message_user(request, f"{config}: {verb}{detail}.", messages.SUCCESS)

    @admin.display(description="events")
    def event_list(self, config):
        return ", ".join(config.events)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["delivery_id", "event", "action", "repository_full_name", "status", "attempts", "received_at"]
    list_filter = ["event", "status", "repository_full_name"]
    search_fields = ["delivery_id", "repository_full_name", "sender_login"]
    date_hierarchy = "received_at"
    exclude = ["payload", "headers"]
    readonly_fields = [
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
        "processing_started_at",
        "processed_at",
        "config",
        "pretty_headers",
        "pretty_payload",
    ]
    show_full_result_count = False
    actions = ["reprocess"]

    @admin.action(description="Reprocess selected events")
    def reprocess(self, request, queryset):
        count = processing.reprocess_events(queryset)
        self.message_user(request, f"{count} event(s) queued for processing.")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # The changelist never shows payloads; do not load them.
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("payload", "headers")
        return queryset

    def has_add_permission(self, request):
        # Events come only from GitHub.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="headers")
    def pretty_headers(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.headers, indent=2, sort_keys=True))

    @admin.display(description="payload")
    def pretty_payload(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, ensure_ascii=False))
