import functools
import json
import re
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.html import format_html

from api.exceptions import ApplicationError
from bigtables.admin import BigTableAdmin
from bigtables.filters import RecentFilter, choices_filter
from github.errors import GitHubError

from . import configs, hooks, processing, selectors
from .constants import GITHUB_EVENT_GROUPS, GITHUB_EVENTS, WILDCARD_EVENT
from .models import WebhookConfig, WebhookEvent


def generate_secret():
    return get_random_string(40)


EVENT_CHOICES = [(group, [(name, name) for name in names]) for group, names in GITHUB_EVENT_GROUPS.items()]
# The buttons on a config's page: URL name part -> (what it does, label).
HOOK_OPERATIONS = ("sync", "ping", "redeliver", "rotate-secret")
RECENT_DELIVERIES = 20


def button_view(admin_site, view):
    """An admin view behind a button: a signed-in user who is not staff gets a 403, not the login page."""
    wrapped = admin_site.admin_view(view)

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_staff:
            raise PermissionDenied
        return wrapped(request, *args, **kwargs)

    return guarded


class WebhookConfigForm(forms.ModelForm):
    all_events = forms.BooleanField(
        required=False, label="All events", help_text='Every event GitHub sends, now and in future ("*").'
    )
    events = forms.MultipleChoiceField(
        required=False,
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Events",
        help_text="The GitHub events this hook sends, by group.",
    )
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = list(self.instance.events or []) if self.instance.pk else []
        self.initial["all_events"] = WILDCARD_EVENT in stored
        self.initial["events"] = [name for name in stored if name != WILDCARD_EVENT]

    def clean(self):
        cleaned = super().clean()
        # Stored as the API stores them: ["*"], or the names sorted.
        if cleaned.get("all_events"):
            cleaned["events"] = [WILDCARD_EVENT]
        elif cleaned.get("events"):
            cleaned["events"] = sorted(set(cleaned["events"]))
        else:
            self.add_error("events", 'Tick at least one event, or "All events".')
        return cleaned

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
    change_form_template = "admin/webhooks/webhookconfig/change_form.html"
    list_display = ["repository", "active", "event_list", "content_type", "hook_id", "last_delivery_at"]
    list_filter = ["active", "content_type"]
    search_fields = ["repository"]
    fields = [
        "repository",
        "url",
        "all_events",
        "events",
        "new_secret",
        "content_type",
        "active",
        "hook_id",
        "previous_secret_expires_at",
        "hook_synced_at",
        "hook_sync_error",
        "last_delivery_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["hook_synced_at", "hook_sync_error", "last_delivery_at", "created_at", "updated_at"]
    actions = ["sync_on_github", "redeliver_failed"]

    def get_queryset(self, request):
        return selectors.with_last_delivery(super().get_queryset(request))

    def get_urls(self):
        operation = button_view(self.admin_site, self.hook_operation_view)
        return [
            path("<path:object_id>/hook/<str:operation>/", operation, name="webhooks_webhookconfig_hook"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        config = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if config is not None:
            extra_context.update(
                receiver_url=request.build_absolute_uri(reverse("github-webhook")),
                recent_deliveries=selectors.recent_deliveries(config, RECENT_DELIVERIES),
                can_operate=self.has_change_permission(request, config),
                redeliver_hours=settings.WEBHOOK_REDELIVER_LOOKBACK_HOURS,
                grace_hours=settings.WEBHOOK_SECRET_ROTATION_GRACE_SECONDS / 3600,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def hook_operation_view(self, request, object_id, operation):
        """The buttons on a config's page: POST only, staff with change permission only."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        config = self.get_object(request, unquote(object_id))
        if config is None or operation not in HOOK_OPERATIONS:
            raise Http404("No such config or operation.")
        if not self.has_change_permission(request, config):
            raise PermissionDenied
        try:
            level, text = self._operate(config, operation)
        except GitHubError as exc:
            level, text = messages.ERROR, f"GitHub refused: {exc.message} (HTTP {exc.status or 'none'})."
        except ApplicationError as exc:
            level, text = messages.ERROR, str(exc.detail)
        self.message_user(request, text, level)
        return HttpResponseRedirect(reverse("admin:webhooks_webhookconfig_change", args=[config.pk]))

    def _operate(self, config, operation):
        if operation == "sync":
            created = hooks.sync_hook(config)
            verb = "Created" if created else "Updated"
            return messages.SUCCESS, f"{verb} the hook on GitHub (hook id {config.hook_id})."
        if operation == "ping":
            hooks.ping_hook(config)
            return messages.SUCCESS, "GitHub was asked to send a ping; it appears under recent deliveries."
        if operation == "redeliver":
            hours = settings.WEBHOOK_REDELIVER_LOOKBACK_HOURS
            report = hooks.redeliver_failed(config, timezone.now() - timedelta(hours=hours))
            return messages.SUCCESS, (
                f"Last {hours} h: {report.listed} deliveries listed on GitHub, {report.failed_guids} failed, "
                f"{report.already_stored} already stored here, {report.redelivered} redelivered."
            )
        new_secret = generate_secret()
        configs.rotate_secret_fields(config, new_secret)
        config.save()
        return messages.WARNING, (
            f"New secret, shown this once: {new_secret} — the previous one stays valid until "
            f"{config.previous_secret_expires_at:%Y-%m-%d %H:%M} UTC. Sync to GitHub to send it there."
        )

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


EVENT_DELIVERY_FIELDS = [
    "delivery_id",
    "event_action",
    "repository_full_name",
    "sender_login",
    "hook_id",
    "installation_id",
    "received_at",
    "config",
]
EVENT_PROCESSING_FIELDS = [
    "status",
    "attempts",
    "last_error",
    "processing_started_at",
    "next_attempt_at",
    "processed_at",
    "processing_time",
]


# What GitHub's X-GitHub-Delivery looks like (a UUID): the admin's search looks such a term up by id.
DELIVERY_ID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@admin.register(WebhookEvent)
class WebhookEventAdmin(BigTableAdmin):
    change_form_template = "admin/webhooks/webhookevent/change_form.html"
    list_display = ["delivery_id", "event", "action", "repository_full_name", "status", "attempts", "received_at"]
    # Each one an index range with the list's order (migration 0006); none reads the table to draw itself.
    list_filter = [choices_filter("event", "event", GITHUB_EVENTS), "status", RecentFilter]
    sortable_by = ["received_at"]
    search_fields = ["delivery_id"]  # what get_search_results does instead: an index each
    search_help_text = "An exact delivery id (X-GitHub-Delivery), or a repository: owner/name, or the start of one."
    # What GitHub sent, apart from what the service did with it; every field read-only.
    fieldsets = [
        ("Delivery (what GitHub sent)", {"fields": EVENT_DELIVERY_FIELDS}),
        ("Processing (what the service did)", {"fields": EVENT_PROCESSING_FIELDS}),
        ("Payload", {"classes": ["collapse"], "fields": ["payload_size", "pretty_payload"]}),
        ("Headers", {"classes": ["collapse"], "fields": ["pretty_headers"]}),
    ]
    readonly_fields = [field for _, options in fieldsets for field in options["fields"]]
    actions = ["reprocess"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if DELIVERY_ID_SHAPE.fullmatch(term):
            return queryset.filter(delivery_id=term.lower()), False  # GitHub's are lower case
        return queryset.filter(repository_full_name__istartswith=term), False

    def get_urls(self):
        reprocess = button_view(self.admin_site, self.reprocess_view)
        return [
            path("<path:object_id>/reprocess/", reprocess, name="webhooks_webhookevent_reprocess"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_reprocess": self.may_reprocess(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def may_reprocess(request):
        # The page itself is read-only for everyone (events come from GitHub); reprocessing is a change.
        return request.user.has_perm("webhooks.change_webhookevent")

    def reprocess_view(self, request, object_id):
        """The Reprocess button on an event's page: POST only, staff allowed to change events only."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        event = self.get_object(request, unquote(object_id))
        if event is None:
            raise Http404("No such event.")
        if not self.may_reprocess(request):
            raise PermissionDenied
        processing.reprocess_events(WebhookEvent.objects.filter(pk=event.pk))
        self.message_user(request, "The event was queued for processing again.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:webhooks_webhookevent_change", args=[event.pk]))

    def has_reprocess_permission(self, request):
        # What the action asks (permissions=["reprocess"]): the button's rule, not the view permission.
        return self.may_reprocess(request)

    @admin.action(description="Reprocess selected events", permissions=["reprocess"])
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

    @admin.display(description="event")
    def event_action(self, event):
        return f"{event.event}.{event.action}" if event.action else event.event

    @admin.display(description="processing time")
    def processing_time(self, event):
        if event.processed_at is None:
            return "—"
        return f"{(event.processed_at - event.received_at).total_seconds():.3f} s after receipt"

    @admin.display(description="size")
    def payload_size(self, event):
        return f"{len(json.dumps(event.payload, ensure_ascii=False).encode()):,} bytes"

    @admin.display(description="headers")
    def pretty_headers(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.headers, indent=2, sort_keys=True))

    @admin.display(description="payload")
    def pretty_payload(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, ensure_ascii=False))
