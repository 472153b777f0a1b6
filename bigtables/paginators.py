from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .counting import estimated_count

# Pages counted exactly: past them the planner's estimate. A page's count only draws the page
# links, and each row counted can be a random read of the table (a search whose index does not
# hold every column it tests): 10,000 rows of a repository search at ten million events were half
# of that page's time.
EXACT_PAGES = 10


class EstimatedCountPaginator(Paginator):
    """A paginator for big tables: its ``count`` is ``estimated_count``, exact for the first EXACT_PAGES pages.

    The admin shows "about N" pages from it; the pages themselves are the
    real rows. Pair it with ``show_full_result_count = False`` (no second count).
    """

    @cached_property
    def count(self):
        return estimated_count(self.object_list, exact_below=self.per_page * EXACT_PAGES)
