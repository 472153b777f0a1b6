"""Admin list filters that never read the table to draw themselves.

Django's field filters list the distinct values of a column (a full scan of
a big table on every page); these offer fixed choices instead.
"""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

RECENT_WINDOWS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


class RecentFilter(admin.SimpleListFilter):
    """Rows of the last hour, day, week or month by a datetime field (``field_name``), instead of a date hierarchy."""

    title = "received"
    parameter_name = "within"
    field_name = "received_at"

    def lookups(self, request, model_admin):
        return [(name, f"last {name}") for name in RECENT_WINDOWS]

    def queryset(self, request, queryset):
        window = RECENT_WINDOWS.get(self.value())
        if window is None:
            return queryset
        return queryset.filter(**{f"{self.field_name}__gte": timezone.now() - window})


def choices_filter(field_name, title, choices):
    """A list filter on ``field_name`` offering ``choices`` (values), drawn without a query."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request, model_admin):
            return [(value, value) for value in choices]

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field_name: value}) if value else queryset

    ChoicesFilter.title = title
    ChoicesFilter.__name__ = f"{field_name.title().replace('_', '')}ChoicesFilter"
    return ChoicesFilter
