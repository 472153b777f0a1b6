"""The repository reads the client caches: one table for their endpoint, TTL setting and metric label.

The name is the key namespace (``gh:{owner}/{repo}:{name}:…``), the
``resource`` label of the cache metrics and what an invalidation names.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class CachedResource:
    name: str
    template: str
    ttl_setting: str

    @property
    def ttl(self):
        return getattr(settings, self.ttl_setting)


RESOURCES = {
    resource.name: resource
    for resource in (
        CachedResource("info", "/repos/{owner}/{repo}", "GITHUB_CACHE_TTL_INFO"),
        CachedResource("pulls", "/repos/{owner}/{repo}/pulls", "GITHUB_CACHE_TTL_PULLS"),
        CachedResource("issues", "/repos/{owner}/{repo}/issues", "GITHUB_CACHE_TTL_ISSUES"),
        CachedResource("labels", "/repos/{owner}/{repo}/labels", "GITHUB_CACHE_TTL_LABELS"),
        CachedResource("workflows", "/repos/{owner}/{repo}/actions/workflows", "GITHUB_CACHE_TTL_WORKFLOWS"),
    )
}


def ttl_for(name):
    """The fresh lifetime of a resource's entries; GITHUB_CACHE_TTL_DEFAULT for a name not in the table."""
    resource = RESOURCES.get(name)
    return resource.ttl if resource is not None else settings.GITHUB_CACHE_TTL_DEFAULT
