import django_filters

from api.filters import UTCDateTimeFilter

from .models import GitHubRateLimit


class GitHubRateLimitFilter(django_filters.FilterSet):
    credential = django_filters.CharFilter(method="filter_credential", help_text="token, app or installation:<id>")
    observed_after = UTCDateTimeFilter(field_name="observed_at", lookup_expr="gte")
    observed_before = UTCDateTimeFilter(field_name="observed_at", lookup_expr="lt")

    class Meta:
        model = GitHubRateLimit
        fields = ["resource", "source", "token_hash", "credential", "observed_after", "observed_before"]

    def filter_credential(self, queryset, name, value):
        if value == "token":
            return queryset.exclude(token_hash__contains=":")
        if value == "app":
            return queryset.filter(token_hash__startswith="app:")
        return queryset.filter(token_hash=value)
