from django.db import models


class Series(models.TextChoices):
    """What a count counts; each recorder fills ``label``, ``outcome`` and ``detail`` as listed here."""

    # label: event; outcome: a DeliveryOutcome or "rejected"; detail: the RejectionReason.
    DELIVERIES = "deliveries", "deliveries answered by the receiver"
    # label: event; outcome: processed or failed (for good); detail: the lag bucket ("le" seconds).
    PROCESSING = "processing", "events processed or failed"
    # label: the rate-limit resource; outcome: the answer's class (2xx, 304, 4xx, 5xx, timeout, ...).
    GITHUB_CALLS = "github_calls", "requests sent to GitHub"
    # label: the cached resource; outcome: HIT, REVALIDATED, STALE or MISS.
    CACHE_READS = "cache_reads", "cached GitHub reads served"
    # label: the subscription's id; outcome: delivered, retrying, failed or held.
    SUBSCRIPTION_MESSAGES = "subscription_messages", "subscription messages attempted"


class RollupCount(models.Model):
    """How many times something happened in one minute (span 60) or one hour (span 3600).

    The dashboard's charts read these instead of the tables they summarise:
    a window's numbers cost a range of this small table, whatever the size of
    the events table, and things never stored (duplicates, refused deliveries)
    are counted too. Processes add to them in batches (recorder.py).
    """

    series = models.CharField(max_length=32, choices=Series.choices)
    span = models.PositiveIntegerField(help_text="Seconds the bucket covers: 60 or 3600.")
    start = models.BigIntegerField(help_text="Unix time the bucket starts (a multiple of span).")
    label = models.CharField(max_length=100, blank=True, default="")
    outcome = models.CharField(max_length=40, blank=True, default="")
    detail = models.CharField(max_length=40, blank=True, default="")
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "rollup_counts"
        verbose_name = "rollup count"
        constraints = [
            # Also the index every read uses: one series, one span, a range of starts.
            models.UniqueConstraint(
                fields=["series", "span", "start", "label", "outcome", "detail"], name="rollup_count_unique_key"
            ),
        ]

    def __str__(self):
        return f"{self.series} {self.span}s@{self.start} {self.label}/{self.outcome}/{self.detail}: {self.count}"
