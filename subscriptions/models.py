"""Subscriptions: the team's endpoints, the messages each is sent, and every attempt at sending one."""

from django.db import models
from encrypted_fields.fields import EncryptedCharField

from webhooks.models import WebhookEvent


class Subscription(models.Model):
    """An endpoint of the team's that processed GitHub events are pushed to (Standard Webhooks)."""

    # What staff set (API and admin alike); the rest is the service's.
    SETTABLE_FIELDS = [
        "name",
        "url",
        "events",
        "actions",
        "repositories",
        "branches",
        "ordered",
        "active",
        "max_per_second",
    ]
    STATE_FIELDS = ["disabled_reason", "failing_since"]

    name = models.CharField(max_length=100)
    url = models.URLField(
        max_length=2000, help_text="Where messages are POSTed: https (plain http only inside allowed networks)."
    )
    events = models.JSONField(default=list, help_text='GitHub event names; ["*"] for all.')
    actions = models.JSONField(
        default=list, blank=True, help_text='Optional "event.action" strings, e.g. "pull_request.opened".'
    )
    repositories = models.JSONField(default=list, blank=True, help_text='Optional glob patterns, e.g. "octo-org/*".')
    branches = models.JSONField(
        default=list, blank=True, help_text="Optional globs against a push's branch or a pull request's base branch."
    )
    ordered = models.BooleanField(
        default=False, help_text="One message at a time per repository, in the order GitHub's events were received."
    )
    active = models.BooleanField(default=True)
    max_per_second = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many attempts per second, over all workers."
    )
    # Encrypted at rest (a key derived from SECRET_KEY); shown once, when created or rotated.
    secret = EncryptedCharField(max_length=255)
    previous_secret = EncryptedCharField(max_length=255, null=True, blank=True)  # an empty value is stored as NULL
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    failing_since = models.DateTimeField(null=True, blank=True, help_text="Since when every attempt has failed.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "subscriptions"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Message(models.Model):
    """One event (or ping) to send to one subscription; its ``msg_id`` is the ``webhook-id`` of every attempt."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    PING = "ping"

    msg_id = models.CharField(max_length=40, unique=True)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="messages")
    # No database-level constraint: webhook_events is partitioned by day on PostgreSQL, and a
    # partitioned table's key includes its day, so no foreign key can point at its id. Retention
    # deletes an event's messages first (webhooks.signals.events_pruning); Django cascades the rest.
    event = models.ForeignKey(
        WebhookEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # The event's received_at: its day, which finds its partition (without it, every day's key is read).
    event_received_at = models.DateTimeField(null=True, blank=True)
    type = models.CharField(max_length=130, help_text='"event" or "event.action"; "ping" for a test message.')
    # Ordered subscriptions: the repository whose messages go one at a time ("" = no order).
    lane = models.CharField(max_length=140, blank=True, default="")
    # Receipt order of the event (its id): the order within a lane.
    sequence = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # Set while a worker is sending it; a worker that died leaves it to be taken over after this.
    locked_until = models.DateTimeField(null=True, blank=True)
    # Set while a task for it waits in the queue (cleared when the task starts), so the sweep and the
    # ordered lanes' kicks do not queue it again while a backlog drains; a lost task's mark runs out.
    queued_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "subscription_messages"
        constraints = [
            # Once per (subscription, event), however often the event is processed.
            models.UniqueConstraint(
                fields=["subscription", "event"],
                condition=models.Q(event__isnull=False),
                name="subscription_message_once_per_event",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="sub_message_due_idx"),
            models.Index(fields=["subscription", "lane", "status", "sequence"], name="sub_message_lane_idx"),
            models.Index(fields=["subscription", "created_at"], name="sub_message_created_idx"),
        ]

    def __str__(self):
        return self.msg_id


class Attempt(models.Model):
    """One POST of a message: when, how it ended, how long it took, the start of the answer."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_set")
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.FloatField(default=0)
    response_body = models.TextField(blank=True, default="", help_text="The first 1 KB of the answer.")
    error = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "subscription_attempts"
        ordering = ["attempted_at", "id"]
        indexes = [models.Index(fields=["message", "attempted_at"], name="sub_attempt_message_idx")]

    def __str__(self):
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
