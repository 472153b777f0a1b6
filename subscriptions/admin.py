from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import matching, services
from .destinations import DestinationRefused, check_url
from .models import Subscription

RECENT_MESSAGES = 20
REPLAY_FAILED_DAYS = 30


class SubscriptionForm(forms.ModelForm):
    """The API's rules for a subscription's URL and filters, in the admin."""

    class Meta:
        model = Subscription
        fields = Subscription.SETTABLE_FIELDS

    def clean_url(self):
        try:
            check_url(self.cleaned_data["url"])
        except DestinationRefused as exc:
            raise forms.ValidationError(f"The URL {exc}") from None
        return self.cleaned_data["url"]

    def _filter(self, name, check):
        value = self.cleaned_data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise forms.ValidationError('Give a JSON list of strings, e.g. ["push"].')
        try:
            return check(value)
        except matching.FilterError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_events(self):
        return self._filter("events", matching.check_events)

    def clean_actions(self):
        return self._filter("actions", matching.check_actions)

    def clean_repositories(self):
        return self._filter("repositories", matching.check_repositories)

    def clean_branches(self):
        return self._filter("branches", matching.check_branches)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions with their recent messages. The secret is never shown, only given once at creation."""

    form = SubscriptionForm
    list_display = ["name", "url", "active", "ordered", "disabled_reason", "failing_since", "created_at"]
    list_filter = ["active", "ordered"]
    search_fields = ["name", "url"]
    fields = [*Subscription.SETTABLE_FIELDS, *Subscription.STATE_FIELDS, "recent_messages"]
    readonly_fields = [*Subscription.STATE_FIELDS, "recent_messages"]
    actions = ["enable", "disable", "replay_failed"]

    def save_model(self, request, obj, form, change):
        if change:
            services.update_subscription(obj, **{name: form.cleaned_data[name] for name in form.changed_data})
            return
        subscription, secret = services.create_subscription(
            **{name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}
        )
        obj.pk = subscription.pk
        messages.warning(request, f"The subscription's secret, shown this once: {secret}")

    @admin.display(description="Recent messages")
    def recent_messages(self, subscription):
        if subscription.pk is None:
            return "—"
        rows = subscription.messages.order_by("-created_at", "-id")[:RECENT_MESSAGES]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (m.msg_id, m.type, m.status, m.attempts, m.last_status_code or "—", f"{m.created_at:%Y-%m-%d %H:%M:%S}")
                for m in rows
            ),
        )
        header = (
            "<tr><th>webhook-id</th><th>type</th><th>status</th><th>attempts</th>"
            "<th>last answer</th><th>created</th></tr>"
        )
        return format_html("<table>{}{}</table>", format_html(header), body) if rows else "None yet."

    @admin.action(description="Enable (pending messages are sent)")
    def enable(self, request, queryset):
        for subscription in queryset:
            services.enable(subscription)
        self.message_user(request, f"Enabled {queryset.count()} subscription(s).")

    @admin.action(description="Disable")
    def disable(self, request, queryset):
        for subscription in queryset:
            services.disable(subscription)
        self.message_user(request, f"Disabled {queryset.count()} subscription(s).")

    @admin.action(description=f"Replay failed messages (last {REPLAY_FAILED_DAYS} days)")
    def replay_failed(self, request, queryset):
        since = timezone.now() - timedelta(days=REPLAY_FAILED_DAYS)
        total = sum(services.replay(subscription, since=since, status="failed") for subscription in queryset)
        self.message_user(request, f"{total} failed message(s) sent again.")
