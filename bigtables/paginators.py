from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .counting import estimated_count


class EstimatedCountPaginator(Paginator):
    """A paginator for big tables: its ``count`` is ``estimated_count`` (exact when small).

    The admin shows "about N" pages from it; the pages themselves are the
    real rows. Pair it with ``show_full_result_count = False`` (no second count).
    """

    @cached_property
    def count(self):
        return estimated_count(self.object_list)
