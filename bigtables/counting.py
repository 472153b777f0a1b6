"""Counting rows of tables too big to count: exact up to a bound, the planner's estimate past it.

An exact ``COUNT(*)`` reads every matching row: at ten million events that is
seconds, for a number nobody reads digit by digit. So rows are counted
exactly up to ``EXACT_BELOW`` (a bounded read: ``LIMIT``), and past it
PostgreSQL's planner estimate (from the statistics ANALYZE keeps) is used, at
least the bound. The bound comes first, not the estimate: statistics can be
hours old (a backlog drained since would still be "500,000 pending").
Other databases (SQLite, the embedded mode) always count exactly.
"""

import json

from django.db import connections

EXACT_BELOW = 10_000


def estimated_count(queryset, exact_below=None):
    """How many rows ``queryset`` returns: exact below ``exact_below`` (EXACT_BELOW; always off
    PostgreSQL), else estimated."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count()
    exact_below = EXACT_BELOW if exact_below is None else exact_below
    bounded = queryset.order_by()[:exact_below].count()
    if bounded < exact_below:
        return bounded
    return max(planner_rows(queryset), exact_below)


def planner_rows(queryset):
    """The planner's estimate of the rows ``queryset`` returns (EXPLAIN, nothing is run)."""
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])
