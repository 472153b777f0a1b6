"""Reads of installation state: which installation covers a repository.

Every process keeps what it looked up (``covering``) until any installation
changes anywhere: the ``installations`` generation (coherence) is bumped on
commit, so a deleted, suspended or reinstalled installation is out of use in
every process at once.
"""

from datetime import UTC, datetime

from django.db.models import Q

from coherence import generations
from coherence.process_cache import ProcessCache
from github import cache
from github.installation_tokens import token_cache_key, unseal

from .models import Installation

GENERATION = "installations"
# owner/repo (lower-case) -> installation id or None, for the current generation.
covering = ProcessCache(GENERATION, dict)


def installation_covering(owner, repo):
    """The live Installation that covers owner/repo (suspended ones too), or None."""
    full_name = f"{owner}/{repo}".lower()
    return (
        Installation.objects.filter(deleted=False)
        .filter(
            Q(repository_selection=Installation.RepositorySelection.ALL, account_login__iexact=owner)
            | Q(repositories__full_name=full_name)
        )
        .order_by("-github_updated_at", "-id")
        .first()
    )


def is_live(installation_id):
    return Installation.objects.filter(id=installation_id, deleted=False).exists()


def live_ids():
    return list(Installation.objects.filter(deleted=False).order_by("id").values_list("id", flat=True))


def installation_list():
    return Installation.objects.filter(deleted=False).prefetch_related("repositories").order_by("account_login", "id")


def installation_changed(installation_id):
    """After a commit that changed an installation: drop its token and every process's lookups."""
    cache.delete(token_cache_key(installation_id))
    generations.bump(GENERATION)


def token_expiries(installation_ids):
    """installation id -> when its shared token expires (never the token), for those that hold one."""
    expiries = {}
    for installation_id in installation_ids:
        held = unseal(cache.get(token_cache_key(installation_id)))
        if held is not None:
            expiries[installation_id] = datetime.fromtimestamp(held[1], tz=UTC)
    return expiries


def budgets(rate_limits, installation_ids):
    """installation id -> core requests left, from the rate-limit store."""
    remaining = {}
    for installation_id in installation_ids:
        state = rate_limits.current(f"installation:{installation_id}", "core")
        if state is not None:
            remaining[installation_id] = state.remaining
    return remaining
