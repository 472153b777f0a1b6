"""The webhook handler that drops cached GitHub reads an event outdates (registered at app load)."""

from functools import partial

from django.db import transaction

from webhooks.handlers import on

from . import services


@on(*services.EVENT_CACHE_RESOURCES)
def invalidate_cached_reads(event):
    """GitHub told us something changed: drop the cached reads it makes outdated.

    After the processing transaction commits, so a reader never re-caches
    what the event is about to change.
    """
    owner, _, repo = event.repository_full_name.partition("/")
    resources = services.cache_resources_for(event.event, event.payload)
    if owner and repo and resources:
        transaction.on_commit(partial(services.invalidate_cache, owner, repo, resources))
