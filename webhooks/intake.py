"""Receiving a delivery: parse it, verify its signature, store it exactly once, hand it on.

Signature checks are in signatures.py; what happens to a stored event is the
outbox's (handing it to the workers) and then processing's.
"""

import json
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache, partial
from urllib.parse import parse_qs

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, connections, router, transaction
from django.utils import timezone

from rollups import recorder
from rollups.models import Series

from . import metrics, selectors, signatures
from .models import DeliveryReceipt, WebhookEvent
from .outbox import enqueue_event
from .outcomes import REJECTED, DeliveryOutcome, RejectionReason

logger = logging.getLogger(__name__)

# Headers kept with each event (request.headers names, case-insensitive).
STORED_HEADERS = (
    "X-GitHub-Event",
    "X-GitHub-Delivery",
    "X-GitHub-Hook-ID",
    "X-GitHub-Hook-Installation-Target-Type",
    "X-GitHub-Hook-Installation-Target-ID",
    "User-Agent",
    "Content-Type",
)
_EVENT_RE = re.compile(r"[a-z_]{1,64}")
_DELIVERY_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MAX_BIGINT = 2**63 - 1


class DeliveryRejected(Exception):
    """A delivery we refuse; nothing was stored. ``reason`` is a short metric label."""

    def __init__(self, status_code, detail, reason):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.reason = reason


@dataclass
class DeliveryResult:
    status_code: int
    body: dict
    event: WebhookEvent | None = None


# --- Parsing ---------------------------------------------------------------


def parse_payload(body, content_type):
    """The JSON object GitHub sent, from a JSON or a form-encoded body.

    Returns (payload, its JSON text as received — or None when that is not UTF-8).
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        raw_json = body
    elif media_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=100)
        except (UnicodeDecodeError, ValueError):
            raise DeliveryRejected(
                400, "The form-encoded body could not be parsed.", RejectionReason.MALFORMED
            ) from None
        if "payload" not in fields:
            raise DeliveryRejected(400, "The form-encoded body has no 'payload' field.", RejectionReason.MALFORMED)
        raw_json = fields["payload"][0]
    else:
        raise DeliveryRejected(
            415,
            "Unsupported content type; GitHub sends application/json or application/x-www-form-urlencoded.",
            RejectionReason.UNSUPPORTED_MEDIA_TYPE,
        )
    try:
        payload = json.loads(raw_json)
    except (ValueError, RecursionError):
        raise DeliveryRejected(400, "The body is not valid JSON.", RejectionReason.MALFORMED) from None
    if not isinstance(payload, dict):
        raise DeliveryRejected(400, "The payload must be a JSON object.", RejectionReason.MALFORMED)
    if _depth_exceeds(payload, settings.WEBHOOK_MAX_JSON_DEPTH):
        raise DeliveryRejected(
            400,
            f"The payload is nested deeper than {settings.WEBHOOK_MAX_JSON_DEPTH} levels.",
            RejectionReason.MALFORMED,
        )
    if isinstance(raw_json, bytes):
        try:
            raw_json = raw_json.decode("utf-8")
        except UnicodeDecodeError:  # valid JSON in UTF-16/32: store it re-encoded
            raw_json = None
    return payload, raw_json


def _depth_exceeds(value, limit):
    # Level by level, looking only at containers: this runs on every delivery.
    level = [value] if type(value) in _CONTAINERS else []
    for _depth in range(limit):
        if not level:
            return False
        level = [
            child
            for container in level
            for child in (container.values() if type(container) is dict else container)
            if type(child) in _CONTAINERS
        ]
    return bool(level)


_CONTAINERS = (dict, list)  # what json.loads builds; no subclasses


def _text(payload, *path, max_length):
    """A string at ``path`` in untrusted JSON, or "" when absent or of another type."""
    value = payload
    for key in path:
        if not isinstance(value, dict):
            return ""
        value = value.get(key)
    return value[:max_length] if isinstance(value, str) else ""


def _github_id(value):
    """A GitHub id (hook, installation) from a header or JSON value: a non-negative bigint, else None."""
    if isinstance(value, bool):
        return None
    # isdigit() alone accepts "²" and other non-ASCII digits that int() refuses,
    # and int() refuses over 4300 digits; a bigint has at most 19.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    return value if isinstance(value, int) and 0 <= value <= _MAX_BIGINT else None


def _sanitize(value):
    """Replace what PostgreSQL cannot store (NUL, lone surrogates) in every string."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_sanitize(key): _sanitize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_sanitize(item) for item in value]
    return value


# --- Receiving -------------------------------------------------------------


def check_content_length(value):
    """The declared body size, refused before reading when over the cap."""
    try:
        length = int(value or 0)
    except ValueError:
        raise DeliveryRejected(400, "Invalid Content-Length header.", RejectionReason.MALFORMED) from None
    if length > settings.WEBHOOK_MAX_BODY_BYTES:
        raise DeliveryRejected(
            413, f"The body exceeds the limit of {settings.WEBHOOK_MAX_BODY_BYTES} bytes.", RejectionReason.TOO_LARGE
        )
    return length


def receive_delivery(*, content_length, read_body, content_type: str, headers) -> DeliveryResult:
    """Verify and store one delivery from GitHub; raise DeliveryRejected when refused.

    ``read_body`` is called only once the declared length is within the cap.
    Storing is the only work done here: processing happens in a task enqueued
    once the row is committed, so GitHub gets its answer in milliseconds.
    """
    event_label = metrics.event_label(headers.get("X-GitHub-Event", ""))
    try:
        check_content_length(content_length)
        result = _receive_delivery(body=read_body(), content_type=content_type, headers=headers)
    except DeliveryRejected as rejection:
        _count_refused(event_label, rejection.reason)
        raise
    except DatabaseError:
        # Nothing was committed; GitHub records the failure and can redeliver.
        logger.exception("webhook delivery not stored: database unavailable")
        _count_refused(event_label, RejectionReason.STORAGE_UNAVAILABLE)
        raise DeliveryRejected(
            503, "Storage is unavailable; the delivery was not stored.", RejectionReason.STORAGE_UNAVAILABLE
        ) from None
    metrics.WEBHOOK_EVENTS_RECEIVED.labels(event_label, result.body["status"]).inc()
    if result.body["status"] == DeliveryOutcome.DUPLICATE:
        metrics.WEBHOOK_EVENTS_DUPLICATE.labels(event_label).inc()
    recorder.count(Series.DELIVERIES, label=event_label, outcome=result.body["status"])
    return result


def _count_refused(event_label, reason):
    """A refused delivery, in the metrics and in the dashboard's rollups."""
    metrics.WEBHOOK_DELIVERIES_REJECTED.labels(reason).inc()
    recorder.count(Series.DELIVERIES, label=event_label, outcome=REJECTED, detail=reason)


# The receiver's answer for each state a new event is stored in.
_ANSWERS = {
    WebhookEvent.Status.PENDING: (202, DeliveryOutcome.QUEUED),
    WebhookEvent.Status.SKIPPED: (202, DeliveryOutcome.SKIPPED),
    WebhookEvent.Status.PROCESSED: (200, DeliveryOutcome.PROCESSED),
}


def _receive_delivery(*, body, content_type, headers):
    event_name = headers.get("X-GitHub-Event", "")
    delivery_id = headers.get("X-GitHub-Delivery", "")
    if not event_name or not delivery_id:
        raise DeliveryRejected(
            400, "X-GitHub-Event and X-GitHub-Delivery headers are required.", RejectionReason.MISSING_HEADER
        )
    if not _EVENT_RE.fullmatch(event_name):
        raise DeliveryRejected(400, "X-GitHub-Event is not a valid event name.", RejectionReason.MISSING_HEADER)
    if not _DELIVERY_RE.fullmatch(delivery_id):
        raise DeliveryRejected(400, "X-GitHub-Delivery is not a valid delivery id.", RejectionReason.MISSING_HEADER)
    signature = headers.get("X-Hub-Signature-256", "")
    if not signatures.is_well_formed(signature):
        raise DeliveryRejected(401, "Missing or malformed X-Hub-Signature-256 header.", RejectionReason.BAD_SIGNATURE)

    payload, payload_text = parse_payload(body, content_type)

    repository_full_name = _text(payload, "repository", "full_name", max_length=140)
    owner = (
        repository_full_name.split("/", 1)[0]
        if repository_full_name
        else _text(payload, "organization", "login", max_length=100)
        or _text(payload, "installation", "account", "login", max_length=100)
    )
    hook_id = _github_id(headers.get("X-GitHub-Hook-ID")) or _github_id(payload.get("hook_id"))
    now = timezone.now()
    secrets = selectors.app_hook_secrets(
        headers.get("X-GitHub-Hook-Installation-Target-Type", ""),
        headers.get("X-GitHub-Hook-Installation-Target-ID", ""),
    )
    if secrets is not None:
        config = None  # the App's own hook: no repository config applies
    else:
        config = selectors.find_config_for_delivery(
            hook_id=hook_id, repository_full_name=repository_full_name, owner=owner
        )
        secrets = selectors.secrets_for(config, now)
    if not secrets:
        raise DeliveryRejected(401, "No webhook secret is configured for this delivery.", RejectionReason.NO_SECRET)
    if not signatures.verify_signature(secrets, body, signature):
        raise DeliveryRejected(401, "The X-Hub-Signature-256 signature does not match.", RejectionReason.BAD_SIGNATURE)

    if event_name == "ping":
        status = WebhookEvent.Status.PROCESSED
    elif config is not None and not (config.active and config.accepts_event(event_name)):
        status = WebhookEvent.Status.SKIPPED
    else:
        status = WebhookEvent.Status.PENDING
    action = payload.get("action")
    event = WebhookEvent(
        delivery_id=delivery_id,
        event=event_name,
        action=action[:64] if isinstance(action, str) else "",
        hook_id=hook_id,
        installation_id=_github_id((payload.get("installation") or {}).get("id"))
        if isinstance(payload.get("installation"), dict)
        else None,
        repository_full_name=repository_full_name,
        sender_login=_text(payload, "sender", "login", max_length=100),
        payload=payload,
        headers={name: headers[name][:200] for name in STORED_HEADERS if name in headers},
        status=status,
        received_at=now,
        processed_at=now if status == WebhookEvent.Status.PROCESSED else None,
        config=config,
    )
    if not _insert_once(event, payload_text):
        return DeliveryResult(200, {"delivery_id": delivery_id, "status": DeliveryOutcome.DUPLICATE})
    if event.status == WebhookEvent.Status.PENDING:
        # Right away in autocommit; after the commit inside an outer transaction.
        transaction.on_commit(partial(enqueue_event, (event.pk, event.received_at)))

    logger.info(
        "webhook delivery stored",
        extra={"delivery_id": delivery_id, "event": event_name, "action": event.action, "status": status},
    )
    status_code, outcome = _ANSWERS[status]
    return DeliveryResult(status_code, {"delivery_id": delivery_id, "event": event_name, "status": outcome}, event)


def _insert_once(event, payload_text=None):
    """Insert the event; False when its delivery id is already stored.

    The delivery's receipt decides, not a prior SELECT: its insert and the
    event's are one statement on PostgreSQL (``WITH receipt AS (INSERT … ON
    CONFLICT DO NOTHING RETURNING 1) INSERT … SELECT … FROM receipt``), so two
    copies of one delivery racing each other still end as one row and two
    answers, and no transaction is opened around a single statement.
    ``payload_text`` is the JSON as received: the database parses it, rather
    than Python encoding the payload it has just decoded.
    """
    for attempt in range(2):
        try:
            event.pk = _insert_with_receipt(event, {"payload": payload_text} if payload_text is not None else {})
            return event.pk is not None
        except DataError:
            # PostgreSQL refuses NUL and lone surrogates in text and jsonb;
            # store the delivery with those characters replaced rather than lose it.
            if attempt:
                raise
            for field in ("payload", "headers", "action", "repository_full_name", "sender_login"):
                setattr(event, field, _sanitize(getattr(event, field)))
            payload_text = None
        except IntegrityError as error:
            # The events' own unique delivery id, kept on PostgreSQL until partition_events: a
            # copy of an event stored before its receipts were kept (see migration 0007).
            diagnostics = getattr(error.__cause__, "diag", None)
            if getattr(diagnostics, "constraint_name", None) == _EVENTS_UNIQUE_DELIVERY_ID:
                return False
            raise
    return False


_EVENTS_UNIQUE_DELIVERY_ID = "webhook_event_unique_delivery_id"


def _insert_with_receipt(event, raw_values):
    """The event's receipt and then the event, or nothing when the receipt exists; the new pk, or None.

    ``raw_values``: column values sent as they are.
    """
    connection = connections[router.db_for_write(WebhookEvent)]
    receipt, event_fields, insert_event = _insert_statements(connection.alias)
    receipt_params = [
        event.delivery_id,
        DeliveryReceipt._meta.get_field("received_at").get_db_prep_save(event.received_at, connection),
    ]
    event_params = [
        raw_values[field.name]
        if field.name in raw_values
        else field.get_db_prep_save(getattr(event, field.attname), connection)
        for field in event_fields
    ]
    # Alone in autocommit (the receiver); in a savepoint inside an outer
    # transaction, so a refused row (DataError) does not abort the outer one.
    if connection.vendor == "postgresql":
        with transaction.atomic(using=connection.alias) if connection.in_atomic_block else nullcontext():
            # Server-side parameters: the payload travels as a parameter
            # instead of being escaped into the SQL text in Python.
            import psycopg

            connection.ensure_connection()
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
                # prepare=False: no named prepared statement, which poolers
                # in transaction mode (PgBouncer) would not keep.
                cursor.execute(
                    f"WITH receipt AS ({receipt}) {insert_event}", receipt_params + event_params, prepare=False
                )
                row = cursor.fetchone()
        return row[0] if row else None
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(receipt, receipt_params)
        if cursor.fetchone() is None:
            return None
        cursor.execute(insert_event.replace(" FROM receipt", ""), event_params)
        return cursor.fetchone()[0]


@cache
def _insert_statements(alias):
    """The receipt's INSERT, the event's fields and INSERT: the same on every delivery, built once.

    The event's ``INSERT … SELECT … FROM receipt`` inserts one row when the
    receipt's insert returned one, none otherwise (PostgreSQL; elsewhere the
    ``FROM`` is dropped and the two run one after the other).
    """
    quote = connections[alias].ops.quote_name
    receipt = (
        f"INSERT INTO {quote(DeliveryReceipt._meta.db_table)} ({quote('delivery_id')}, {quote('received_at')}) "
        f"VALUES (%s, %s) ON CONFLICT ({quote('delivery_id')}) DO NOTHING RETURNING 1"
    )
    fields = [field for field in WebhookEvent._meta.concrete_fields if not field.primary_key]
    insert_event = (
        f"INSERT INTO {quote(WebhookEvent._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT {', '.join(['%s'] * len(fields))} FROM receipt RETURNING {quote(WebhookEvent._meta.pk.column)}"
    )
    return receipt, fields, insert_event
