import django_filters

from api.filters import UTCDateTimeFilter

from .models import Message


class MessageFilter(django_filters.FilterSet):
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Message
        fields = ["status", "created_after", "created_before"]
