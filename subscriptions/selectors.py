"""Reads of subscriptions: their messages, lanes, due work, secrets in force, backlog."""

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.utils import DatabaseError
from prometheus_client.core import GaugeMetricFamily

from webhooks.models import WebhookEvent

from .models import Message, Subscription


def message_event(message):
    """The event a message carries (None for a ping, or once retention removed it), read by its day when known."""
    if message.event_id is None:
        return None
    events = WebhookEvent.objects.filter(pk=message.event_id)
    if message.event_received_at is not None:
        events = events.filter(received_at=message.event_received_at)
    return events.first()


def subscription_list():
    return Subscription.objects.all()


def active_secrets(subscription, now):
    """The secrets messages are signed with: the current one, and the previous one during its grace period."""
    secrets = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > now:
        secrets.append(subscription.previous_secret)
    return secrets


def messages_of(subscription):
    return (
        Message.objects.filter(subscription=subscription)
        .select_related("event")
        .only(
            "id",
            "msg_id",
            "type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "created_at",
            "delivered_at",
            "subscription_id",
            "event_id",
            "event__delivery_id",
        )
        .prefetch_related("attempt_set")
        .order_by("-created_at", "-id")
    )


def lane_heads(lane, subscription_id=None):
    """Ids of the first pending message of ``lane`` in each active ordered subscription (or just one)."""
    head = (
        Message.objects.filter(subscription=OuterRef("pk"), lane=lane, status=Message.Status.PENDING)
        .order_by("sequence", "id")
        .values("id")[:1]
    )
    subscriptions = Subscription.objects.filter(active=True, ordered=True)
    if subscription_id is not None:
        subscriptions = subscriptions.filter(pk=subscription_id)
    return [pk for pk in subscriptions.annotate(head=Subquery(head)).values_list("head", flat=True) if pk]


def due_message_ids(now, limit):
    """Pending messages nobody holds or has queued whose time has come, of active subscriptions;
    of an ordered lane only its head (no earlier message of the lane pending), in one query."""
    ahead = Message.objects.filter(
        subscription=OuterRef("subscription"),
        lane=OuterRef("lane"),
        status=Message.Status.PENDING,
        sequence__lt=OuterRef("sequence"),
    )
    due = (
        Message.objects.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now),
            Q(queued_until__isnull=True) | Q(queued_until__lt=now),
            status=Message.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__active=True,
        )
        .filter(Q(lane="") | ~Exists(ahead))
        .order_by("next_attempt_at")
    )
    return list(due.values_list("id", flat=True)[:limit])


class BacklogCollector:
    """Prometheus collector: messages not yet delivered, by status and subscription state, at scrape time."""

    def collect(self):
        backlog = GaugeMetricFamily(
            "subscription_messages_backlog",
            "Messages pending or failed, by status and whether their subscription is active or disabled.",
            labels=["status", "subscription_state"],
        )
        try:
            counts = {
                (status, active): count
                for status, active, count in Message.objects.filter(
                    status__in=(Message.Status.PENDING, Message.Status.FAILED)
                )
                .values_list("status", "subscription__active")
                .annotate(count=Count("id"))
                .order_by()
            }
            disabled_count = Subscription.objects.filter(active=False).count()
        except DatabaseError:
            return
        disabled = GaugeMetricFamily("subscriptions_disabled", "Subscriptions disabled (by staff, 410 or failures).")
        disabled.add_metric([], disabled_count)
        yield disabled
        for status in (Message.Status.PENDING, Message.Status.FAILED):
            for active, state in ((True, "active"), (False, "disabled")):
                backlog.add_metric([status, state], counts.get((status, active), 0))
        yield backlog
