"""Webhook handlers that turn the App's installation events into installation state."""

from functools import partial

from django.db import transaction

from webhooks.handlers import on

from . import selectors, services


def _from_the_app_hook(event):
    # GitHub sends installation events to the App's own webhook only; any other hook's copy is not trusted.
    return event.headers.get("X-GitHub-Hook-Installation-Target-Type") == "integration"


@on("installation")
def handle_installation(event):
    if not _from_the_app_hook(event):
        return
    installation_id = services.record_installation(
        event.payload.get("installation"), action=event.action, repositories=event.payload.get("repositories")
    )
    if installation_id is not None:
        # Deleted or suspended: its token must not be used again; created: a reinstall may replace a mapping.
        transaction.on_commit(partial(selectors.installation_changed, installation_id))


@on("installation_repositories")
def handle_installation_repositories(event):
    if not _from_the_app_hook(event):
        return
    installation_id = services.record_installation_repositories(
        event.payload.get("installation"),
        action=event.action,
        added=event.payload.get("repositories_added"),
        removed=event.payload.get("repositories_removed"),
    )
    if installation_id is not None:
        transaction.on_commit(partial(selectors.installation_changed, installation_id))
