"""Writes of the webhooks app: receiving deliveries, managing configs, events' states."""

import json
import logging
import re
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, partial
from urllib.parse import parse_qs

from django.conf import settings
from django.db import DatabaseError, DataError, connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import handlers, metrics, selectors, signatures
from .models import WebhookConfig, WebhookEvent

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
            raise DeliveryRejected(400, "The form-encoded body could not be parsed.", "malformed")
        if "payload" not in fields:
            raise DeliveryRejected(400, "The form-encoded body has no 'payload' field.", "malformed")
        raw_json = fields["payload"][0]
    else:
        raise DeliveryRejected(
            415,
            "Unsupported content type; GitHub sends application/json or application/x-www-form-urlencoded.",
            "unsupported_media_type",
        )
    try:
        payload = json.loads(raw_json)
    except (ValueError, RecursionError):
        raise DeliveryRejected(400, "The body is not valid JSON.", "malformed")
    if not isinstance(payload, dict):
        raise DeliveryRejected(400, "The payload must be a JSON object.", "malformed")
    if _depth_exceeds(payload, settings.WEBHOOK_MAX_JSON_DEPTH):
        raise DeliveryRejected(
            400, f"The payload is nested deeper than {settings.WEBHOOK_MAX_JSON_DEPTH} levels.", "malformed"
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


def _integer(value):
    """A bigint from a header or JSON value, or None when it is not one."""
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
        raise DeliveryRejected(400, "Invalid Content-Length header.", "malformed")
    if length > settings.WEBHOOK_MAX_BODY_BYTES:
        raise DeliveryRejected(
            413, f"The body exceeds the limit of {settings.WEBHOOK_MAX_BODY_BYTES} bytes.", "too_large"
        )
    return length


def receive_delivery(*, content_length, read_body, content_type: str, headers) -> DeliveryResult:
    """Verify and store one delivery from GitHub; raise DeliveryRejected when refused.

    ``read_body`` is called only once the declared length is within the cap.
    Storing is the only work done here: processing happens in a task enqueued
    once the row is committed, so GitHub gets its answer in milliseconds.
    """
    try:
        check_content_length(content_length)
        result = _receive_delivery(body=read_body(), content_type=content_type, headers=headers)
    except DeliveryRejected as rejection:
        metrics.WEBHOOK_DELIVERIES_REJECTED.labels(rejection.reason).inc()
        raise
    except DatabaseError:
        # Nothing was committed; GitHub records the failure and can redeliver.
        logger.exception("webhook delivery not stored: database unavailable")
        metrics.WEBHOOK_DELIVERIES_REJECTED.labels("storage_unavailable").inc()
        raise DeliveryRejected(503, "Storage is unavailable; the delivery was not stored.", "storage_unavailable")
    event_label = metrics.event_label(headers.get("X-GitHub-Event", ""))
    metrics.WEBHOOK_EVENTS_RECEIVED.labels(event_label, result.body["status"]).inc()
    if result.body["status"] == "duplicate":
        metrics.WEBHOOK_EVENTS_DUPLICATE.labels(event_label).inc()
    return result


def _receive_delivery(*, body, content_type, headers):
    event_name = headers.get("X-GitHub-Event", "")
    delivery_id = headers.get("X-GitHub-Delivery", "")
    if not event_name or not delivery_id:
        raise DeliveryRejected(400, "X-GitHub-Event and X-GitHub-Delivery headers are required.", "missing_header")
    if not _EVENT_RE.fullmatch(event_name):
        raise DeliveryRejected(400, "X-GitHub-Event is not a valid event name.", "missing_header")
    if not _DELIVERY_RE.fullmatch(delivery_id):
        raise DeliveryRejected(400, "X-GitHub-Delivery is not a valid delivery id.", "missing_header")
    signature = headers.get("X-Hub-Signature-256", "")
    if not signatures.is_well_formed(signature):
        raise DeliveryRejected(401, "Missing or malformed X-Hub-Signature-256 header.", "bad_signature")

    payload, payload_text = parse_payload(body, content_type)

    repository_full_name = _text(payload, "repository", "full_name", max_length=140)
    owner = (
        repository_full_name.split("/", 1)[0]
        if repository_full_name
        else _text(payload, "organization", "login", max_length=100)
        or _text(payload, "installation", "account", "login", max_length=100)
    )
    hook_id = _integer(headers.get("X-GitHub-Hook-ID")) or _integer(payload.get("hook_id"))
    now = timezone.now()
    config = selectors.find_config_for_delivery(
        hook_id=hook_id, repository_full_name=repository_full_name, owner=owner
    )
    secrets = selectors.secrets_for(config, now)
    if not secrets:
        raise DeliveryRejected(401, "No webhook secret is configured for this delivery.", "no_secret")
    if not signatures.verify_signature(secrets, body, signature):
        raise DeliveryRejected(401, "The X-Hub-Signature-256 signature does not match.", "bad_signature")

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
        installation_id=_integer((payload.get("installation") or {}).get("id"))
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
        return DeliveryResult(200, {"delivery_id": delivery_id, "status": "duplicate"})
    if event.status == WebhookEvent.Status.PENDING:
        # Right away in autocommit; after the commit inside an outer transaction.
        transaction.on_commit(partial(enqueue_event, event.pk))

    logger.info(
        "webhook delivery stored",
        extra={"delivery_id": delivery_id, "event": event_name, "action": event.action, "status": status},
    )
    response_status = {
        WebhookEvent.Status.PENDING: (202, "queued"),
        WebhookEvent.Status.SKIPPED: (202, "skipped"),
        WebhookEvent.Status.PROCESSED: (200, "processed"),
    }[status]
    return DeliveryResult(
        response_status[0],
        {"delivery_id": delivery_id, "event": event_name, "status": response_status[1]},
        event,
    )


def _insert_once(event, payload_text=None):
    """Insert the event; False when its delivery id is already stored.

    One ``INSERT … ON CONFLICT (delivery_id) DO NOTHING RETURNING id`` in
    autocommit: the unique constraint decides, not a prior SELECT, so two
    copies of one delivery racing each other still end as one row and two
    answers, and no transaction is opened around a single statement.
    ``payload_text`` is the JSON as received: the database parses it, rather
    than Python encoding the payload it has just decoded.
    """
    for attempt in range(2):
        try:
            event.pk = _insert_or_nothing(event, {"payload": payload_text} if payload_text is not None else {})
            return event.pk is not None
        except DataError:
            # PostgreSQL refuses NUL and lone surrogates in text and jsonb;
            # store the delivery with those characters replaced rather than lose it.
            if attempt:
                raise
            for field in ("payload", "headers", "action", "repository_full_name", "sender_login"):
                setattr(event, field, _sanitize(getattr(event, field)))
            payload_text = None
    return False


def _insert_or_nothing(instance, raw_values):
    """INSERT … ON CONFLICT DO NOTHING; the new pk, or None. ``raw_values``: column values sent as they are."""
    model = type(instance)
    connection = connections[router.db_for_write(model)]
    fields, sql = _insert_statement(model, connection.alias)
    params = [
        raw_values[field.name] if field.name in raw_values else field.get_db_prep_save(getattr(instance, field.attname), connection)
        for field in fields
    ]
    # Alone in autocommit (the receiver); in a savepoint inside an outer
    # transaction, so a refused row (DataError) does not abort the outer one.
    with transaction.atomic(using=connection.alias) if connection.in_atomic_block else nullcontext():
        if connection.vendor == "postgresql":
            # Server-side parameters: the payload travels as a parameter
            # instead of being escaped into the SQL text in Python.
            import psycopg

            connection.ensure_connection()
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
                # prepare=False: no named prepared statement, which poolers
                # in transaction mode (PgBouncer) would not keep.
                cursor.execute(sql, params, prepare=False)
                row = cursor.fetchone()
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
    return row[0] if row else None


@cache
def _insert_statement(model, alias):
    """The fields and the SQL of ``_insert_or_nothing``: the same on every delivery, built once."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connections[alias].ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote('delivery_id')}) DO NOTHING RETURNING {quote(model._meta.pk.column)}"
    )
    return fields, sql


def enqueue_event(event_id):
    """Hand a stored event to the workers without waiting for the broker.

    In-process (no broker configured) the task runs now. Otherwise the relay
    thread publishes it; if that fails the row stays pending for the sweep.
    """
    from config.celery import app

    from .relay import relay
    from .tasks import process_event

    if app.conf.task_always_eager:
        process_event.delay(event_id)
    else:
        relay.submit(event_id)


def publish_events(event_ids):
    """Enqueue events now, in batches (sweep, reprocess); False when the broker refused."""
    from .relay import publish

    try:
        publish(list(event_ids))
    except Exception:
        logger.warning("could not enqueue %d event(s); the sweep will retry them", len(event_ids), exc_info=True)
        return False
    return True


# --- Processing --------------------------------------------------------------


def claim_event(event_id, now=None):
    """Atomically take an event for processing; None when someone else has it.

    One ``UPDATE … RETURNING`` decides and loads the row, so two workers
    handed the same event (a redelivered task, a sweep) never process it at
    the same time. An event stuck in ``processing`` past the timeout belonged
    to a dead worker and is taken over.
    """
    now = now or timezone.now()
    abandoned_before = now - timedelta(seconds=settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS)
    claimed = WebhookEvent.objects.raw(
        f"UPDATE {WebhookEvent._meta.db_table} "
        "SET status = %s, processing_started_at = %s, next_attempt_at = NULL, attempts = attempts + 1 "
        "WHERE id = %s AND (status = %s OR (status = %s AND processing_started_at < %s)) "
        "RETURNING *",
        [
            WebhookEvent.Status.PROCESSING,
            now,
            event_id,
            WebhookEvent.Status.PENDING,
            WebhookEvent.Status.PROCESSING,
            abandoned_before,
        ],
    )
    return next(iter(claimed), None)


def retry_delay(attempts):
    """Seconds before attempt ``attempts + 1``: exponential, capped."""
    return min(
        settings.WEBHOOK_PROCESSING_RETRY_BACKOFF ** attempts,
        settings.WEBHOOK_PROCESSING_RETRY_BACKOFF_MAX,
    )


def process_event(event_id):
    """Run an event through its handlers; return seconds until a retry, or None.

    The handlers' writes and the ``processed`` mark commit in one transaction:
    a crash in between leaves the event to be processed again, never half-done.
    """
    event = claim_event(event_id)
    if event is None:
        return None
    event_label = metrics.event_label(event.event)
    event_handlers = handlers.handlers_for(event.event, event.action)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            for handler in event_handlers:
                handler(event)
            WebhookEvent.objects.filter(pk=event.pk).update(
                status=WebhookEvent.Status.PROCESSED, processed_at=timezone.now(), last_error=""
            )
    except Exception as exc:
        final = event.attempts >= settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS
        metrics.WEBHOOK_EVENTS_FAILED.labels(event_label, str(final).lower()).inc()
        if event_handlers:
            metrics.REPOSITORY_SYNC.labels(event_label, "error").inc()
        error = "".join(traceback.format_exception(exc, limit=-5))[-4000:]
        if final:
            WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.FAILED, last_error=error)
            logger.error(
                "webhook event failed for good",
                extra={"delivery_id": event.delivery_id, "event": event.event, "attempts": event.attempts},
            )
            return None
        delay = retry_delay(event.attempts)
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=WebhookEvent.Status.PENDING,
            last_error=error,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        logger.warning(
            "webhook event attempt failed, retrying",
            extra={"delivery_id": event.delivery_id, "event": event.event, "attempts": event.attempts},
        )
        return delay
    duration = time.perf_counter() - started
    metrics.WEBHOOK_EVENTS_PROCESSED.labels(event_label, metrics.action_label(event.event, event.action)).inc()
    metrics.WEBHOOK_PROCESSING_DURATION.labels(event_label).observe(duration)
    if event_handlers:
        metrics.REPOSITORY_SYNC.labels(event_label, "applied").inc()
        metrics.REPOSITORY_SYNC_DURATION.labels(event_label).observe(duration)
    return None


def sweep_pending_events(now=None, limit=10000):
    """Enqueue events nobody is working on: stored while the broker was down,
    due for a retry, or abandoned by a dead worker. Returns how many."""
    now = now or timezone.now()
    settled_before = now - timedelta(seconds=settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS)
    abandoned_before = now - timedelta(seconds=settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS)
    event_ids = list(
        WebhookEvent.objects.filter(
            Q(
                status=WebhookEvent.Status.PENDING,
                received_at__lt=settled_before,
            )
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=settled_before))
            | Q(status=WebhookEvent.Status.PROCESSING, processing_started_at__lt=abandoned_before)
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    if event_ids:
        publish_events(event_ids)
        logger.info("sweep enqueued %d events", len(event_ids))
    return len(event_ids)


def reprocess_events(queryset):
    """Put events back to pending and enqueue them; returns how many."""
    event_ids = list(queryset.values_list("pk", flat=True))
    with transaction.atomic():
        WebhookEvent.objects.filter(pk__in=event_ids).update(
            status=WebhookEvent.Status.PENDING, attempts=0, next_attempt_at=None, processing_started_at=None
        )
        transaction.on_commit(partial(publish_events, event_ids))
    return len(event_ids)


def prune_events(now=None, batch_size=1000):
    """Delete processed and skipped events past the retention period, in batches.

    Failed events stay until staff reprocess or delete them; the repository
    state built from events is never pruned.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    old_events = WebhookEvent.objects.filter(
        status__in=[WebhookEvent.Status.PROCESSED, WebhookEvent.Status.SKIPPED], received_at__lt=cutoff
    )
    deleted = 0
    while True:
        batch = list(old_events.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        deleted += WebhookEvent.objects.filter(pk__in=batch).delete()[0]


# --- Configs -----------------------------------------------------------------


def rotate_secret_fields(config, new_secret, *, previous_secret_expires_at=None, now=None):
    """Set a new secret, keeping the old one valid for a grace period.

    GitHub switches secrets when the hook is updated; deliveries already in
    flight are signed with the old one and must not be refused.
    """
    now = now or timezone.now()
    if config.secret and new_secret != config.secret:
        config.previous_secret = config.secret
        config.previous_secret_expires_at = previous_secret_expires_at or now + timedelta(
            seconds=settings.WEBHOOK_SECRET_ROTATION_GRACE_SECONDS
        )
    config.secret = new_secret


# --- Hooks on GitHub --------------------------------------------------------------


class HookNotSynced(Exception):
    """The config has no GitHub hook yet (no ``hook_id``): sync it first."""


class OrganizationHookUnsupported(Exception):
    """Organization-level configs are not created on GitHub by this service."""


def _repository_path(config):
    if config.is_organization:
        raise OrganizationHookUnsupported(config.repository)
    owner, repo = config.repository.split("/", 1)
    return {"owner": owner, "repo": repo}


def hook_body(config):
    """The GitHub hook this config describes (POST/PATCH /repos/{o}/{r}/hooks)."""
    return {
        "name": "web",
        "active": config.active,
        "events": list(config.events),
        "config": {
            "url": config.url,
            "content_type": config.content_type,
            "secret": config.secret,
            "insecure_ssl": "0",
        },
    }


def sync_hook(config):
    """Create the config's hook on GitHub, or update it when ``hook_id`` is known.

    A hook deleted on GitHub (404 on update) is created again. Returns True
    when a hook was created.
    """
    from github.client import GitHubError, get_client

    path = _repository_path(config)
    client = get_client()
    if config.hook_id is not None:
        try:
            client.patch("/repos/{owner}/{repo}/hooks/{hook_id}", json=hook_body(config), hook_id=config.hook_id, **path)
            return False
        except GitHubError as exc:
            if exc.status != 404:
                raise
    response = client.post("/repos/{owner}/{repo}/hooks", json=hook_body(config), **path)
    config.hook_id = response.body["id"]
    WebhookConfig.objects.filter(pk=config.pk).update(hook_id=config.hook_id)
    # update() sends no signal; the receiver looks configs up by hook id.
    selectors.config_cache.changed()
    logger.info("created GitHub hook %s for config %s", config.hook_id, config.pk)
    return True


def ping_hook(config):
    """Ask GitHub to send the hook a ``ping`` delivery."""
    from github.client import get_client

    path = _repository_path(config)
    if config.hook_id is None:
        raise HookNotSynced(config.repository)
    get_client().post("/repos/{owner}/{repo}/hooks/{hook_id}/pings", hook_id=config.hook_id, **path)


@dataclass
class RedeliveryReport:
    listed: int = 0
    failed_guids: int = 0
    already_stored: int = 0
    redelivered: int = 0
    errors: int = 0


def redeliver_failed(config, since):
    """Ask GitHub to redeliver what it failed to deliver to us since ``since``.

    GitHub does not retry failed deliveries by itself and keeps them 3 days.
    Deliveries are grouped by ``guid`` (the same across redeliveries); a GUID
    with no successful attempt that we have not stored is redelivered once.
    """
    from github.client import GitHubError, get_client

    path = _repository_path(config)
    if config.hook_id is None:
        raise HookNotSynced(config.repository)
    client = get_client()
    report = RedeliveryReport()
    attempts_by_guid = {}
    response = client.get(
        "/repos/{owner}/{repo}/hooks/{hook_id}/deliveries", params={"per_page": 100}, hook_id=config.hook_id, **path
    )
    while True:
        page = response.body if isinstance(response.body, list) else []
        report.listed += len(page)
        older_than_window = False
        for delivery in page:
            delivered_at = parse_datetime(delivery.get("delivered_at") or "")
            if delivered_at is not None and delivered_at < since:
                older_than_window = True  # newest first: the rest is older still
                continue
            attempts_by_guid.setdefault(delivery.get("guid"), []).append(delivery)
        next_url = response.links.get("next")
        if older_than_window or not next_url:
            break
        response = client.get("/repos/{owner}/{repo}/hooks/{hook_id}/deliveries", url=next_url)

    failed = {
        guid: attempts
        for guid, attempts in attempts_by_guid.items()
        if guid and not any(200 <= (attempt.get("status_code") or 0) < 300 for attempt in attempts)
    }
    report.failed_guids = len(failed)
    stored = set(WebhookEvent.objects.filter(delivery_id__in=list(failed)).values_list("delivery_id", flat=True))
    report.already_stored = len(stored)
    for guid, attempts in failed.items():
        if guid in stored:
            continue
        latest = max(attempts, key=lambda attempt: attempt.get("id") or 0)
        try:
            client.post(
                "/repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts",
                hook_id=config.hook_id,
                delivery_id=latest["id"],
                **path,
            )
        except GitHubError:
            report.errors += 1
            logger.warning("redelivery of %s failed", guid, exc_info=True)
            continue
        report.redelivered += 1
        metrics.WEBHOOK_REDELIVERIES_REQUESTED.inc()
        logger.info("asked GitHub to redeliver %s", guid, extra={"delivery_id": guid})
    return report


def redeliver_failed_for_all(since):
    """``redeliver_failed`` for every active repository config synced to GitHub."""
    reports = {}
    for config in WebhookConfig.objects.filter(active=True, hook_id__isnull=False):
        if config.is_organization:
            continue
        try:
            reports[config.repository] = redeliver_failed(config, since)
        except Exception:
            logger.exception("redeliver_failed stopped for config %s", config.pk)
    return reports
