import django_filters

from api.filters import UTCDateTimeFilter

from .models import GitHubRateLimit


class GitHubRateLimitFilter(django_filters.FilterSet):
    observed_after = UTCDateTimeFilter(field_name="observed_at", lookup_expr="gte")
    observed_before = UTCDateTimeFilter(field_name="observed_at", lookup_expr="lt")

    class Meta:
        model = GitHubRateLimit
        fields = ["resource", "source", "token_hash", "observed_after", "observed_before"]
