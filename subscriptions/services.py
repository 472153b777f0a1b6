"""Writes of subscriptions: creating and changing them, fanning processed events out, replays and retries."""

import uuid
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from api.exceptions import ApplicationError
from webhooks.models import WebhookEvent

from . import selectors, tasks
from .matching import matches
from .models import Attempt, Message, Subscription
from .payloads import message_type
from .signing import new_secret

# How long the previous secret still signs (a second signature) after a rotation.
PREVIOUS_SECRET_GRACE = timedelta(hours=24)


class MessageNotRetryable(ApplicationError):
    status_code = 409
    detail = "Only a failed or pending message can be retried."


def new_msg_id():
    return f"msg_{uuid.uuid4().hex}"


# --- Subscriptions -----------------------------------------------------------------------------


def create_subscription(**fields):
    """A new subscription and its secret (the only time the secret is given out)."""
    secret = new_secret()
    subscription = Subscription.objects.create(secret=secret, **fields)
    return subscription, secret


def update_subscription(subscription, **fields):
    was_active = subscription.active
    for name, value in fields.items():
        setattr(subscription, name, value)
    if subscription.active and not was_active:
        _resume(subscription)
    elif was_active and not subscription.active and not subscription.disabled_reason:
        subscription.disabled_reason = "Disabled by staff."
    subscription.save()
    return subscription


def rotate_secret(subscription):
    """A new secret (given out once); the previous one keeps signing beside it for 24 hours."""
    secret = new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_GRACE
    subscription.secret = secret
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return secret


def enable(subscription):
    return update_subscription(subscription, active=True)


def disable(subscription, reason="Disabled by staff."):
    return update_subscription(subscription, active=False, disabled_reason=reason)


def _resume(subscription):
    """Re-enabled: the reason goes, the clock of failures restarts, its pending messages are sent."""
    subscription.disabled_reason = ""
    subscription.failing_since = None
    Message.objects.filter(subscription=subscription, status=Message.Status.PENDING).update(
        next_attempt_at=timezone.now(), locked_until=None
    )
    transaction.on_commit(partial(_send_pending, subscription.pk))


def _send_pending(subscription_id):
    pending = Message.objects.filter(subscription_id=subscription_id, status=Message.Status.PENDING)
    tasks.enqueue(list(pending.filter(lane="").values_list("id", flat=True)))
    for lane in pending.exclude(lane="").values_list("lane", flat=True).distinct():
        tasks.enqueue(selectors.lane_heads(lane, subscription_id=subscription_id))


# --- Messages ----------------------------------------------------------------------------------


def on_event_processed(sender, event, **kwargs):
    """In the transaction that marks ``event`` processed: its messages, sent once that commits."""
    message_ids = fan_out(event)
    lane = event.repository_full_name
    transaction.on_commit(partial(_send_after_commit, message_ids, lane))


def _send_after_commit(message_ids, lane):
    tasks.enqueue(message_ids)
    if lane:
        # An earlier event of this repository is done: ordered lanes it held may move on.
        tasks.enqueue(selectors.lane_heads(lane))


def fan_out(event, subscriptions=None):
    """A message per active subscription that wants the event, at most once each.

    Returns the ids of the pending ones to send now: those of unordered subscriptions. An ordered
    lane is sent from its head (``lane_heads``), never a task per message that could only wait.
    """
    candidates = subscriptions if subscriptions is not None else Subscription.objects.filter(active=True)
    wanted = [
        subscription
        for subscription in candidates
        if matches(subscription, event.event, event.action, event.repository_full_name, event.payload)
    ]
    if not wanted:
        return []
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                msg_id=new_msg_id(),
                subscription=subscription,
                event=event,
                event_received_at=event.received_at,
                type=message_type(event.event, event.action),
                lane=event.repository_full_name if subscription.ordered else "",
                sequence=event.pk,
                next_attempt_at=now,
            )
            for subscription in wanted
        ],
        ignore_conflicts=True,  # processed again: the message exists already
    )
    return list(
        Message.objects.filter(
            event=event, subscription__in=wanted, status=Message.Status.PENDING, lane=""
        ).values_list("id", flat=True)
    )


def ping(subscription):
    """A test message, sent now (by a worker)."""
    message = Message.objects.create(
        msg_id=new_msg_id(), subscription=subscription, type=Message.PING, next_attempt_at=timezone.now()
    )
    transaction.on_commit(partial(tasks.enqueue, [message.pk]))
    return message


def retry_message(message):
    """Send one message again from the start of the schedule (same webhook-id)."""
    if message.status == Message.Status.DELIVERED:
        raise MessageNotRetryable()
    _restart(Message.objects.filter(pk=message.pk))
    transaction.on_commit(partial(tasks.enqueue, [message.pk]))
    return message


def replay(subscription, *, since, until=None, status="failed"):
    """Send stored events received in [since, until) again: the failed ones, or all the subscription wants.

    Returns how many messages go out. Existing messages keep their webhook-id.
    """
    events = WebhookEvent.objects.filter(received_at__gte=since)
    if until is not None:
        events = events.filter(received_at__lt=until)
    messages = Message.objects.filter(subscription=subscription, event__in=events)
    with transaction.atomic():
        if status == "failed":
            chosen = list(messages.filter(status=Message.Status.FAILED).values_list("id", flat=True))
        else:
            processed = events.filter(status=WebhookEvent.Status.PROCESSED).order_by("id")
            for event in processed.iterator(chunk_size=500):
                fan_out(event, subscriptions=[subscription])
            chosen = list(messages.values_list("id", flat=True))
        _restart(Message.objects.filter(pk__in=chosen))
        transaction.on_commit(partial(_send_pending, subscription.pk))
    return len(chosen)


def _restart(messages):
    messages.update(status=Message.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), locked_until=None)


def on_events_pruning(sender, events, **kwargs):
    """Events past retention are removed: their messages and attempts go first, by index, not one by one."""
    Attempt.objects.filter(message__event__in=events).delete()
    Message.objects.filter(event__in=events).delete()
