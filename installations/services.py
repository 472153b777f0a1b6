"""Writes of installation state, from installation and installation_repositories events.

Idempotent and safe in any order: an installation row only takes a payload
not older than what it holds (``updated_at``), and a deleted installation
stays deleted (GitHub never reuses an id; a reinstall is a new one).
"""

from django.db import transaction
from django.db.models import Q

from repositories.services import parse_timestamp, upsert

from .models import Installation, InstallationRepository


def _values(data, *, deleted=False):
    account = data.get("account") or {}
    values = {
        "account_login": account.get("login") or "",
        "account_type": account.get("type") or data.get("target_type") or "",
        "repository_selection": data.get("repository_selection") or Installation.RepositorySelection.SELECTED,
        "permissions": data.get("permissions") if isinstance(data.get("permissions"), dict) else {},
        "events": data.get("events") if isinstance(data.get("events"), list) else [],
        "suspended_at": parse_timestamp(data.get("suspended_at")),
        "github_updated_at": parse_timestamp(data.get("updated_at")),
    }
    if deleted:
        values["deleted"] = True
    return values


def record_installation(data, *, action, repositories=()):
    """Apply an ``installation`` event; returns the installation id, or None for a payload without one."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    deleted = action == "deleted"
    with transaction.atomic():
        # Not the version guard for a deletion: it must land even when its updated_at is older.
        guard = Q() if deleted else Q(deleted=False)
        upsert(Installation, {"id": data["id"]}, _values(data, deleted=deleted), guard=guard)
        if deleted:
            Installation.objects.filter(id=data["id"]).update(deleted=True)
            InstallationRepository.objects.filter(installation_id=data["id"]).delete()
        elif action == "created" and Installation.objects.filter(id=data["id"], deleted=False).exists():
            add_repositories(data["id"], repositories)
            # A reinstall on the same account replaces the old installation (a replayed old one replaces nothing).
            account = (data.get("account") or {}).get("login")
            if account:
                replaced = Installation.objects.filter(account_login__iexact=account, deleted=False).exclude(
                    id=data["id"]
                )
                InstallationRepository.objects.filter(installation__in=replaced).delete()
                replaced.update(deleted=True)
    return data["id"]


def add_repositories(installation_id, repositories):
    rows = [
        InstallationRepository(
            installation_id=installation_id, repository_id=repo["id"], full_name=repo["full_name"].lower()
        )
        for repo in repositories or ()
        if isinstance(repo, dict) and isinstance(repo.get("id"), int) and isinstance(repo.get("full_name"), str)
    ]
    InstallationRepository.objects.bulk_create(rows, ignore_conflicts=True)


def remove_repositories(installation_id, repositories):
    names = [
        repo["full_name"].lower()
        for repo in repositories or ()
        if isinstance(repo, dict) and isinstance(repo.get("full_name"), str)
    ]
    InstallationRepository.objects.filter(installation_id=installation_id, full_name__in=names).delete()


def remember_installation(data, owner, repo):
    """Remember GitHub's answer to GET /repos/{owner}/{repo}/installation: the installation covers the repository."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    with transaction.atomic():
        upsert(Installation, {"id": data["id"]}, _values(data), guard=Q(deleted=False))
        if data.get("repository_selection") != Installation.RepositorySelection.ALL:
            InstallationRepository.objects.bulk_create(
                [InstallationRepository(installation_id=data["id"], full_name=f"{owner}/{repo}".lower())],
                ignore_conflicts=True,
            )
    return Installation.objects.filter(id=data["id"], deleted=False).first()


def record_installation_repositories(data, *, action, added=(), removed=()):
    """Apply an ``installation_repositories`` event (added / removed)."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    with transaction.atomic():
        # Older than what is stored (a late or replayed event): its lists are outdated too.
        if upsert(Installation, {"id": data["id"]}, _values(data), guard=Q(deleted=False)):
            add_repositories(data["id"], added)
            remove_repositories(data["id"], removed)
    return data["id"]
