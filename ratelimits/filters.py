import django_filters

from .models import GitHubRateLimit


class GitHubRateLimitFilter(django_filters.FilterSet):
    observed_after = django_filters.IsoDateTimeFilter(field_name="observed_at", lookup_expr="gte")
    observed_before = django_filters.IsoDateTimeFilter(field_name="observed_at", lookup_expr="lt")

    class Meta:
        model = GitHubRateLimit
        fields = ["resource", "source", "token_hash", "observed_after", "observed_before"]
