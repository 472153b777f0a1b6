"""Reading the rollups back: a window's counts, summed per step and per dimension."""

from django.db.models import F, Sum
from django.db.models.functions import Mod

from .models import RollupCount


def span_for_step(step):
    """Hour buckets for steps of an hour or more, minute buckets below."""
    return 3600 if step >= 3600 and step % 3600 == 0 else 60


def counts_by_step(series, since, until, step, *, by=("outcome",), **filters):
    """``{(step start, *values of by): n}`` for ``series`` over [since, until) (Unix seconds).

    One range of the unique key's index, summed in the database: a handful of
    rows per step, whatever the window.
    """
    rows = (
        _window(series, since, until, step, filters)
        .annotate(step_start=F("start") - Mod("start", step))
        .values("step_start", *by)
        .annotate(n=Sum("count"))
        .order_by()
    )
    return {(row["step_start"], *(row[name] for name in by)): row["n"] for row in rows}


def totals(series, since, until, step, *, by=("outcome",), **filters):
    """``{(*values of by): n}`` over the whole window: the sums of ``counts_by_step``'s bars, in one query."""
    rows = _window(series, since, until, step, filters).values(*by).annotate(n=Sum("count")).order_by()
    return {tuple(row[name] for name in by): row["n"] for row in rows}


def _window(series, since, until, step, filters):
    return RollupCount.objects.filter(
        series=series, span=span_for_step(step), start__gte=since, start__lt=until, **filters
    )
