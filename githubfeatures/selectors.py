"""Reads from GitHub, through the one cached client."""

from coherence.generations import current_with
from github import cache
from github.client import GitHubClient, get_client
from github.resources import RESOURCES
from github.responses import HIT
from rollups import recorder
from rollups.models import Series


def github_read(owner, repo, resource, params=None):
    """A cached GitHub read (a ``CachedResponse``: body, headers, ``cache`` HIT/MISS/REVALIDATED/STALE)."""
    result = get_client().cached_get(
        RESOURCES[resource].template, resource=resource, params=params, owner=owner, repo=repo
    )
    recorder.count(Series.CACHE_READS, label=resource, outcome=result.cache)
    return result


def github_fresh_hit_with_generation(owner, repo, resource, generation_name):
    """One round trip for a hot read: generation ``generation_name`` and the fresh cached answer.

    Returns ``(generation, answer)``; the answer is what ``github_read`` without
    a query would return from a fresh entry, or None (absent, stale, or the
    cache unreadable: then ``github_read`` decides). Nothing is counted until
    the caller serves it (``count_github_hit``).
    """
    client = get_client()
    key = client.read_key(RESOURCES[resource].template, resource=resource, owner=owner, repo=repo)
    generation, values = current_with(generation_name, cache.stored_key(key))
    if not values:
        return generation, None
    return generation, client.fresh_hit(cache.entry_from_stored(values[0]))


def count_github_hit(resource):
    GitHubClient.count_hit(resource)
    recorder.count(Series.CACHE_READS, label=resource, outcome=HIT)
