from django.db import models
from django.db.models import F
from django.db.models.functions import Upper


def default_events():
    return ["*"]


class WebhookConfig(models.Model):
    """A webhook GitHub posts to us: which secret signs it and which events we want.

    ``repository`` is ``owner/name`` for a repository hook, or ``owner`` alone
    for an organization hook, which then covers every repository of that owner.
    """

    class ContentType(models.TextChoices):
        JSON = "json", "application/json"
        FORM = "form", "application/x-www-form-urlencoded"

    repository = models.CharField(max_length=140, help_text="owner/name, or owner for an organization hook")
    url = models.URLField(max_length=500, help_text="The payload URL GitHub posts to (this service's receiver).")
    secret = models.CharField(max_length=255)
    previous_secret = models.CharField(max_length=255, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    events = models.JSONField(default=default_events, help_text='GitHub event names; ["*"] for all.')
    content_type = models.CharField(max_length=4, choices=ContentType.choices, default=ContentType.JSON)
    active = models.BooleanField(default=True)
    hook_id = models.BigIntegerField(null=True, blank=True, unique=True, help_text="GitHub's id for this hook.")
    hook_synced_at = models.DateTimeField(null=True, blank=True, help_text="When the hook was last synced on GitHub.")
    hook_sync_error = models.CharField(
        max_length=255, blank=True, default="", help_text="Why the last sync failed (empty when it worked)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "webhook_configs"
        ordering = ["repository", "id"]
        verbose_name = "webhook config"
        constraints = [
            models.UniqueConstraint(Upper("repository"), name="webhook_config_unique_repository"),
        ]

    def __str__(self):
        return self.repository

    @property
    def is_organization(self):
        return "/" not in self.repository

    @property
    def owner(self):
        return self.repository.split("/", 1)[0]

    def accepts_event(self, event):
        return "*" in self.events or event in self.events


class DeliveryReceipt(models.Model):
    """A delivery id already stored: what makes storing a delivery happen exactly once.

    The events table cannot keep delivery ids unique itself: on PostgreSQL it
    is partitioned by day (retention drops whole days), and a partitioned
    table's unique keys must include that day. Receipts are kept for
    ``WEBHOOK_DELIVERY_DEDUP_DAYS``, longer than GitHub lets a delivery be
    redelivered (3 days), and pruned in batches of small rows.
    """

    delivery_id = models.CharField(max_length=64, primary_key=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "webhook_delivery_receipts"

    def __str__(self):
        return self.delivery_id


class WebhookEvent(models.Model):
    """One delivery from GitHub, stored exactly once (its ``X-GitHub-Delivery`` has a DeliveryReceipt).

    The row is the outbox: processing reads it, and a row left ``pending``
    (broker down, worker killed) is picked up again by the sweep. On
    PostgreSQL the table is partitioned by day of ``received_at``
    (``manage.py partition_events``; README, "Stored events at scale").
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        PROCESSED = "processed"
        FAILED = "failed"
        SKIPPED = "skipped"

    # What retention may delete; failed events (and any still in flight) stay until staff act.
    PRUNABLE_STATUSES = (Status.PROCESSED, Status.SKIPPED)

    # Indexed through Meta.indexes: db_index=True would also add a LIKE index
    # on PostgreSQL, written on every delivery and never read.
    delivery_id = models.CharField(max_length=64)
    event = models.CharField(max_length=64)
    action = models.CharField(max_length=64, blank=True, default="")
    hook_id = models.BigIntegerField(null=True, blank=True)
    installation_id = models.BigIntegerField(null=True, blank=True)
    repository_full_name = models.CharField(max_length=140, blank=True, default="")
    sender_login = models.CharField(max_length=100, blank=True, default="")
    payload = models.JSONField()
    headers = models.JSONField(default=dict, help_text="The X-GitHub-* headers of the delivery.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField()
    processing_started_at = models.DateTimeField(null=True, blank=True)
    # When a failed attempt may be retried; the sweep leaves the event alone until then.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # No database-level constraint: PostgreSQL checks one by locking the
    # referenced config row (FOR KEY SHARE) at every insert, and concurrent
    # deliveries of one hook then contend on that row. Django still nulls the
    # reference when a config is deleted (SET_NULL), through the index on
    # (config, received_at), which also gives a config's last delivery.
    config = models.ForeignKey(
        WebhookConfig,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        db_table = "webhook_events"
        ordering = ["-received_at", "-id"]
        # Each filter of the events list (API and admin) with its order, newest first, is one
        # index range (tests/webhooks/test_event_indexes.py reads the plans). The repository's
        # is case-insensitive (GitHub's names are) and, on PostgreSQL, also serves prefix
        # search (text_pattern_ops: migration 0006).
        indexes = [
            models.Index(fields=["event", "received_at"], name="webhook_event_event_recv_idx"),
            models.Index(Upper("repository_full_name"), F("received_at"), name="webhook_event_repo_recv_idx"),
            models.Index(fields=["status", "received_at"], name="webhook_event_status_idx"),
            models.Index(fields=["received_at"], name="webhook_event_received_idx"),
            models.Index(fields=["config", "received_at"], name="webhook_event_config_idx"),
            models.Index(fields=["delivery_id"], name="webhook_event_delivery_idx"),
        ]

    def __str__(self):
        name = f"{self.event}.{self.action}" if self.action else self.event
        return f"{name} {self.delivery_id}"
