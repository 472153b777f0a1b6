"""Histograms in the rollups: a count per upper bound ("le", as Prometheus names it), quantiles read back.

A value is counted under the first bound it does not exceed (its ``detail``);
a quantile is read as Prometheus's ``histogram_quantile`` reads one: the
bucket it falls in, interpolated linearly inside it.
"""

import math

INFINITY = "+Inf"


def bucket_label(value, bounds):
    """The ``le`` label of the first bound >= value, or "+Inf"."""
    for bound in bounds:
        if value <= bound:
            return _label(bound)
    return INFINITY


def quantile(q, counts, bounds):
    """The q-quantile (0..1) of ``counts`` ({le label: n}); None without counts; the top bound past it."""
    total = sum(counts.values())
    if not total:
        return None
    rank = q * total
    below, lower = 0, 0.0
    for bound in bounds:
        in_bucket = counts.get(_label(bound), 0)
        if below + in_bucket >= rank and in_bucket:
            return lower + (bound - lower) * (rank - below) / in_bucket
        below += in_bucket
        lower = bound
    return float(bounds[-1]) if bounds else math.inf


def _label(bound):
    return f"{bound:g}"
