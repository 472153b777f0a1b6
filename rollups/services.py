"""Keeping the rollups small: buckets older than any window reads are deleted."""

import time

from django.conf import settings

from .models import RollupCount

# Minute buckets serve windows up to a day (selectors.SPAN_FOR_STEP); hour buckets the longer ones.
MINUTE_BUCKETS_KEPT_SECONDS = 2 * 86400


def prune_counts(now=None):
    """Delete minute buckets older than two days and hour buckets past ROLLUP_RETENTION_DAYS; returns how many."""
    now = int(now if now is not None else time.time())
    minutes = RollupCount.objects.filter(span=60, start__lt=now - MINUTE_BUCKETS_KEPT_SECONDS)
    hours = RollupCount.objects.filter(span=3600, start__lt=now - settings.ROLLUP_RETENTION_DAYS * 86400)
    return minutes.delete()[0] + hours.delete()[0]
