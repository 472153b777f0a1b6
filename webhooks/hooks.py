"""Hooks on GitHub: create or update a config's hook, ping it, ask for failed deliveries again."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from api.exceptions import ApplicationError
from github.client import get_client
from github.errors import GitHubError

from . import metrics, selectors
from .models import WebhookConfig, WebhookEvent

logger = logging.getLogger(__name__)


class HookNotSynced(ApplicationError):
    """The config has no GitHub hook yet (no ``hook_id``): sync it first."""

    status_code = 409
    detail = "This config has no GitHub hook yet: POST …/sync first."


class OrganizationHookUnsupported(ApplicationError):
    """Organization-level configs are not created on GitHub by this service."""

    detail = "Organization-level configs are not managed on GitHub by this service."


def _repository_path(config):
    if config.is_organization:
        raise OrganizationHookUnsupported()
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
    when a hook was created. The outcome is kept on the config (``hook_synced_at``,
    ``hook_sync_error``) for staff to see.
    """
    try:
        created = _sync_hook(config)
    except (GitHubError, ApplicationError) as exc:
        error = exc.message if isinstance(exc, GitHubError) else exc.detail
        WebhookConfig.objects.filter(pk=config.pk).update(hook_sync_error=str(error)[:255])
        raise
    config.hook_synced_at, config.hook_sync_error = timezone.now(), ""
    WebhookConfig.objects.filter(pk=config.pk).update(hook_synced_at=config.hook_synced_at, hook_sync_error="")
    return created


def _sync_hook(config):
    path = _repository_path(config)
    client = get_client()
    if config.hook_id is not None:
        try:
            client.patch(
                "/repos/{owner}/{repo}/hooks/{hook_id}", json=hook_body(config), hook_id=config.hook_id, **path
            )
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
    path = _repository_path(config)
    if config.hook_id is None:
        raise HookNotSynced()
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
    path = _repository_path(config)
    if config.hook_id is None:
        raise HookNotSynced()
    return _redeliver_failed(REPOSITORY_HOOK_DELIVERIES, {**path, "hook_id": config.hook_id}, since)


def redeliver_failed_app_hook(since):
    """``redeliver_failed`` for the GitHub App's own webhook (``/app/hook/deliveries``, as the App)."""
    return _redeliver_failed(APP_HOOK_DELIVERIES, {}, since)


# Where a hook's deliveries are listed; a delivery's attempts are under ``{list}/{delivery_id}/attempts``.
REPOSITORY_HOOK_DELIVERIES = "/repos/{owner}/{repo}/hooks/{hook_id}/deliveries"
APP_HOOK_DELIVERIES = "/app/hook/deliveries"


def _redeliver_failed(deliveries, path, since):
    client = get_client()
    report = RedeliveryReport()
    attempts_by_guid = {}
    response = client.get(deliveries, params={"per_page": 100}, **path)
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
        # The path goes along (unused in the URL) so the page is asked with the same credential.
        response = client.get(deliveries, url=next_url, **path)

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
            client.post(deliveries + "/{delivery_id}/attempts", delivery_id=latest["id"], **path)
        except GitHubError:
            report.errors += 1
            logger.warning("redelivery of %s failed", guid, exc_info=True)
            continue
        report.redelivered += 1
        metrics.WEBHOOK_REDELIVERIES_REQUESTED.inc()
        logger.info("asked GitHub to redeliver %s", guid, extra={"delivery_id": guid})
    return report


def redeliver_failed_for_all(since):
    """``redeliver_failed`` for every active repository config synced to GitHub, and the App's hook (key "app")."""
    reports = {}
    if settings.GITHUB_APP_ID:
        try:
            reports["app"] = redeliver_failed_app_hook(since)
        except Exception:
            logger.exception("redeliver_failed stopped for the GitHub App's hook")
    for config in WebhookConfig.objects.filter(active=True, hook_id__isnull=False):
        if config.is_organization:
            continue
        try:
            reports[config.repository] = redeliver_failed(config, since)
        except Exception:
            logger.exception("redeliver_failed stopped for config %s", config.pk)
    return reports
