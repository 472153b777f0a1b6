"""Writes of repository state, from webhook payloads.

Every function here is idempotent and safe in any order: rows are keyed by
GitHub's identity, and an update only lands when the payload's ``updated_at``
is not older than what is stored. The guard is part of the UPDATE itself, so
two workers racing on one row need no lock to stay correct.
"""

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from .models import Commit, Issue, Label, PullRequest, Push, Repository

# GitHub lists at most this many commits in a push payload.
PUSH_PAYLOAD_COMMIT_CAP = 20


def parse_timestamp(value):
    """GitHub timestamps: ISO-8601 strings, or epoch seconds (push payloads' repository)."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            return None
    return None


def _login(user):
    return (user or {}).get("login") or "" if isinstance(user, dict) else ""


def _logins(users):
    return [_login(user) for user in users or [] if isinstance(user, dict)]


def _label_names(labels):
    return [label.get("name", "") for label in labels or [] if isinstance(label, dict)]


def upsert(model, lookup, values, *, version_field="github_updated_at", guard=None):
    """Insert or update one row unless the stored one is newer.

    ``guard`` further restricts which stored rows may be updated (e.g. not a
    deleted issue). Returns True when the payload's values were written.
    """
    guard = guard if guard is not None else Q()
    newer = Q()
    version = values.get(version_field)
    if version is not None:
        newer = Q(**{f"{version_field}__isnull": True}) | Q(**{f"{version_field}__lte": version})
    rows = model.objects.filter(**lookup)
    if rows.filter(guard & newer).update(**values):
        return True
    if rows.exists():
        return False  # stored state is newer, or the guard protects it
    try:
        with transaction.atomic():
            model.objects.create(**lookup, **values)
        return True
    except IntegrityError:
        # Another worker inserted it first: apply ours only if it is newer.
        return bool(rows.filter(guard & newer).update(**values))


def upsert_repository(data):
    """The Repository for a payload's ``repository`` object; returns it, or None."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    owner = data.get("owner") or {}
    values = {
        "full_name": data.get("full_name") or "",
        "owner_login": owner.get("login") or owner.get("name") or "",
        "name": data.get("name") or "",
        "private": bool(data.get("private")),
        "description": data.get("description") or "",
        "html_url": data.get("html_url") or "",
        "default_branch": data.get("default_branch") or "",
        "archived": bool(data.get("archived")),
        "github_created_at": parse_timestamp(data.get("created_at")),
        "github_updated_at": parse_timestamp(data.get("updated_at")),
        "pushed_at": parse_timestamp(data.get("pushed_at")),
    }
    stored = Repository.objects.filter(github_id=data["id"]).only("github_updated_at", "pushed_at").first()
    if stored is not None and _not_newer(values, stored, "github_updated_at", "pushed_at"):
        # Nearly every event repeats the repository; skipping the unchanged
        # write keeps concurrent workers from queueing on this one row's lock.
        return stored
    upsert(Repository, {"github_id": data["id"]}, values)
    return Repository.objects.only("pk", "full_name").get(github_id=data["id"])


def _not_newer(values, stored, *fields):
    for field in fields:
        new, old = values.get(field), getattr(stored, field)
        if new is not None and (old is None or new > old):
            return False
    return True


def mark_repository_deleted(data):
    repository = upsert_repository(data)
    if repository is not None:
        Repository.objects.filter(pk=repository.pk).update(deleted=True)


def _issue_like_values(data, *, action, delivery_id):
    """Fields pull requests and issues share, in GitHub's payloads and in our rows."""
    return {
        "github_id": data.get("id") or 0,
        "title": data.get("title") or "",
        "state": data.get("state") or "",
        "author_login": _login(data.get("user")),
        "labels": _label_names(data.get("labels")),
        "assignees": _logins(data.get("assignees")),
        "html_url": data.get("html_url") or "",
        "github_created_at": parse_timestamp(data.get("created_at")),
        "github_updated_at": parse_timestamp(data.get("updated_at")),
        "closed_at": parse_timestamp(data.get("closed_at")),
        "last_action": action,
        "last_delivery_id": delivery_id,
    }


def upsert_pull_request(repository, data, *, action, delivery_id):
    head, base = data.get("head") or {}, data.get("base") or {}
    values = {
        **_issue_like_values(data, action=action, delivery_id=delivery_id),
        "draft": bool(data.get("draft")),
        "merged": bool(data.get("merged")),
        "merged_at": parse_timestamp(data.get("merged_at")),
        "head_ref": head.get("ref") or "",
        "head_sha": head.get("sha") or "",
        "base_ref": base.get("ref") or "",
        "base_sha": base.get("sha") or "",
        "requested_reviewers": _logins(data.get("requested_reviewers")),
    }
    return upsert(PullRequest, {"repository": repository, "number": data["number"]}, values)


def _issue_values(data, *, action, delivery_id):
    milestone = data.get("milestone") or {}
    return {
        **_issue_like_values(data, action=action, delivery_id=delivery_id),
        "state_reason": data.get("state_reason") or "",
        "milestone_title": milestone.get("title") or "" if isinstance(milestone, dict) else "",
        "comments": data.get("comments") if isinstance(data.get("comments"), int) else 0,
        "is_pull_request": "pull_request" in data,
    }


def upsert_issue(repository, data, *, action, delivery_id):
    """Upsert an issue; a deleted issue is never brought back by a later event."""
    values = _issue_values(data, action=action, delivery_id=delivery_id)
    lookup = {"repository": repository, "number": data["number"]}
    if action == "deleted":
        values["deleted"] = True
        # A deletion is final whatever its timestamp: no version guard.
        if not Issue.objects.filter(**lookup).update(**values):
            upsert(Issue, lookup, values)
        return True
    return upsert(Issue, lookup, values, guard=Q(deleted=False))


def record_transfer(repository, data, changes, *, delivery_id):
    """An issue moved to another repository: the old one points at the new one."""
    new_repository = upsert_repository(changes.get("new_repository"))
    new_issue = changes.get("new_issue")
    if new_repository is None or not isinstance(new_issue, dict) or "number" not in new_issue:
        return
    upsert_issue(new_repository, new_issue, action="transferred", delivery_id=delivery_id)
    Issue.objects.filter(repository=repository, number=data["number"]).update(
        transferred_to=f"{new_repository.full_name}#{new_issue['number']}"
    )


def upsert_label(repository, data, *, deleted=False):
    values = {
        "name": data.get("name") or "",
        "color": (data.get("color") or "")[:6],
        "description": data.get("description") or "",
        "deleted": deleted,
    }
    lookup = {"repository": repository, "github_id": data["id"]}
    if deleted:
        if not Label.objects.filter(**lookup).update(**values):
            upsert(Label, lookup, values, version_field="")
        return
    upsert(Label, lookup, values, version_field="", guard=Q(deleted=False))


def record_push(repository, payload, *, delivery_id, received_at):
    """Store a push and its commits once per delivery (append-only)."""
    commits = [commit for commit in payload.get("commits") or [] if isinstance(commit, dict)]
    head = payload.get("head_commit") if isinstance(payload.get("head_commit"), dict) else {}
    pusher = payload.get("pusher") if isinstance(payload.get("pusher"), dict) else {}
    push, created = Push.objects.get_or_create(
        delivery_id=delivery_id,
        defaults={
            "repository": repository,
            "ref": payload.get("ref") or "",
            "before": payload.get("before") or "",
            "after": payload.get("after") or "",
            "forced": bool(payload.get("forced")),
            "created": bool(payload.get("created")),
            "deleted": bool(payload.get("deleted")),
            "pusher_name": pusher.get("name") or "",
            "pusher_email": pusher.get("email") or "",
            "commit_count": len(commits),
            "distinct_count": sum(1 for commit in commits if commit.get("distinct", True)),
            "commits_truncated": len(commits) >= PUSH_PAYLOAD_COMMIT_CAP,
            "head_commit_id": head.get("id") or "",
            "head_commit_message": head.get("message") or "",
            "head_commit_timestamp": parse_timestamp(head.get("timestamp")),
            "compare_url": payload.get("compare") or "",
            "received_at": received_at,
        },
    )
    if created:
        Commit.objects.bulk_create(
            [
                Commit(
                    push=push,
                    sha=commit.get("id") or "",
                    message=commit.get("message") or "",
                    author_name=(commit.get("author") or {}).get("name") or "",
                    author_email=(commit.get("author") or {}).get("email") or "",
                    author_username=(commit.get("author") or {}).get("username") or "",
                    timestamp=parse_timestamp(commit.get("timestamp")),
                    url=commit.get("url") or "",
                    distinct=bool(commit.get("distinct", True)),
                )
                for commit in commits
            ],
            ignore_conflicts=True,
        )
    return push
