"""Reads from GitHub, through the one cached client."""

GITHUB_READS = {
    "info": "/repos/{owner}/{repo}",
    "pulls": "/repos/{owner}/{repo}/pulls",
    "issues": "/repos/{owner}/{repo}/issues",
    "labels": "/repos/{owner}/{repo}/labels",
    "workflows": "/repos/{owner}/{repo}/actions/workflows",
}


def github_read(owner, repo, resource, params=None):
    """A cached GitHub read (a ``CachedResponse``: body, headers, ``cache`` HIT/MISS/REVALIDATED/STALE)."""
    from .client import get_client

    return get_client().cached_get(
        GITHUB_READS[resource], resource=resource, params=params, owner=owner, repo=repo
    )


def github_fresh_hit_with_generation(owner, repo, resource, generation_name):
    """One round trip for a hot read: generation ``generation_name`` and the fresh cached answer.

    Returns ``(generation, answer)``; the answer is what ``github_read`` without
    a query would return from a fresh entry, or None (absent, stale, or the
    cache unreadable: then ``github_read`` decides). Nothing is counted until
    the caller serves it (``count_github_hit``).
    """
    from coherence.generations import current_with

    from . import github_cache
    from .client import get_client

    client = get_client()
    key = client.read_key(GITHUB_READS[resource], resource=resource, owner=owner, repo=repo)
    generation, values = current_with(generation_name, github_cache.stored_key(key))
    if not values:
        return generation, None
    return generation, client.fresh_hit(github_cache.entry_from_stored(values[0]))


def count_github_hit(resource):
    from .client import GitHubClient

    GitHubClient.count_hit(resource)
