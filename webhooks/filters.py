import django_filters

from api.filters import UTCDateTimeFilter

from .models import WebhookEvent


class WebhookEventFilter(django_filters.FilterSet):
    repository = django_filters.CharFilter(field_name="repository_full_name", lookup_expr="iexact")
    received_after = UTCDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = UTCDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = WebhookEvent
        fields = ["event", "action", "repository", "status", "delivery_id", "received_after", "received_before"]
