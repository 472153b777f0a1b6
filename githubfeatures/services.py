"""Writes to GitHub, through the one client, and dropping the cached reads events outdate."""

from github import cache
from github.client import get_client

# The client drops the repository's cached reads after every successful write,
# so labels, issue and pull lists (which show labels) and info are never stale.

# Fields of PATCH /repos/{owner}/{repo} this service lets API clients change.
SETTINGS_FIELDS = (
    "description",
    "homepage",
    "private",
    "visibility",
    "has_issues",
    "has_projects",
    "has_wiki",
    "default_branch",
    "allow_squash_merge",
    "allow_merge_commit",
    "allow_rebase_merge",
    "allow_auto_merge",
    "delete_branch_on_merge",
    "archived",
)


def create_label(owner, repo, *, name, color, description=""):
    body = {"name": name, "color": color}
    if description:
        body["description"] = description
    return get_client().post("/repos/{owner}/{repo}/labels", json=body, owner=owner, repo=repo)


def update_label(owner, repo, name, changes):
    return get_client().patch("/repos/{owner}/{repo}/labels/{name}", json=changes, owner=owner, repo=repo, name=name)


def delete_label(owner, repo, name):
    return get_client().delete("/repos/{owner}/{repo}/labels/{name}", owner=owner, repo=repo, name=name)


def update_repository_settings(owner, repo, changes):
    unknown = sorted(set(changes) - set(SETTINGS_FIELDS))
    if unknown:
        raise ValueError(unknown)
    return get_client().patch("/repos/{owner}/{repo}", json=changes, owner=owner, repo=repo)


def invalidate_cache(owner, repo, resources=None):
    """Drop cached GitHub reads of a repository (only ``resources`` when given)."""
    return cache.invalidate_repository(owner, repo, resources)


# Which cached reads a webhook event makes outdated.
EVENT_CACHE_RESOURCES = {
    "pull_request": ("pulls", "issues"),
    "issues": ("issues",),
    "label": ("labels", "issues", "pulls"),
    "repository": ("info",),
    "push": ("info",),
}
WORKFLOWS_FOLDER = ".github/workflows/"


def cache_resources_for(event_name, payload):
    resources = list(EVENT_CACHE_RESOURCES.get(event_name, ()))
    if event_name == "push" and _touches_workflows(payload):
        resources.append("workflows")
    return resources


def _touches_workflows(payload):
    for commit in payload.get("commits") or []:
        if not isinstance(commit, dict):
            continue
        for key in ("added", "modified", "removed"):
            if any(isinstance(path, str) and path.startswith(WORKFLOWS_FOLDER) for path in commit.get(key) or []):
                return True
    return False
