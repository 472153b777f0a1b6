"""What every admin list over a big table shares: no exact counts, pages an index range can serve."""

from functools import reduce
from operator import or_

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .paginators import EstimatedCountPaginator


class BigTableAdmin(admin.ModelAdmin):
    """A list over millions of rows.

    - no "N total" (``show_full_result_count``: a second exact count), and the
      filtered count from the planner's estimate when large (EstimatedCountPaginator);
    - sortable only by the columns an index keeps in order (``sortable_by``, set per admin);
    - no date hierarchy and no field filter drawn from the column's distinct values:
      bigtables.filters offers fixed choices instead.
    """

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    sortable_by = ()
    # Searched by equality only (an index each), not Django's icontains over every row.
    exact_search_fields = ()

    def action_checkbox(self, obj):
        # Django's markup, formatted: its CheckboxInput renders a template per row, a fifth of a
        # 100-row page's time (tests/test_big_lists.py compares the two).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term or not self.exact_search_fields:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(reduce(or_, (Q(**{field: term}) for field in self.exact_search_fields))), False
