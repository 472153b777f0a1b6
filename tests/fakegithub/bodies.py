"""Realistic bodies for the simulator, built from GitHub's recorded examples.

At start-up the simulator reads one example of each object (repository,
issue, label, pull request, workflow) from ``../shared/github-samples``
(override with ``GITHUB_SAMPLES_DIR``) and stamps copies with each simulated
repository's names and numbers. Without the folder it uses the small built-in
bodies below, so ``python -m tests.fakegithub`` works anywhere.
"""

import copy
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLES_DIR = Path(os.environ.get("GITHUB_SAMPLES_DIR", ROOT.parent / "shared" / "github-samples"))

# Fields GitHub returns for a single pull request but not in the list.
PULL_DETAIL_ONLY = (
    "merged",
    "mergeable",
    "rebaseable",
    "mergeable_state",
    "merged_by",
    "comments",
    "review_comments",
    "maintainer_can_modify",
    "commits",
    "additions",
    "deletions",
    "changed_files",
)

_BUILTIN_OWNER = {
    "login": "octokit-fixture-org",
    "id": 1000,
    "node_id": "MDA6RW50aXR5MQ==",
    "type": "Organization",
    "site_admin": False,
    "url": "https://api.github.com/users/octokit-fixture-org",
    "html_url": "https://github.com/octokit-fixture-org",
}
BUILTIN = {
    "repository": (
        "octokit-fixture-org/hello-world",
        {
            "id": 1000,
            "node_id": "MDA6RW50aXR5MQ==",
            "name": "hello-world",
            "full_name": "octokit-fixture-org/hello-world",
            "private": False,
            "owner": _BUILTIN_OWNER,
            "html_url": "https://github.com/octokit-fixture-org/hello-world",
            "description": "Test repository for octokit/fixtures",
            "fork": False,
            "url": "https://api.github.com/repos/octokit-fixture-org/hello-world",
            "created_at": "2017-10-10T16:00:00Z",
            "updated_at": "2017-10-10T16:00:00Z",
            "pushed_at": "2017-10-10T16:00:00Z",
            "homepage": "",
            "default_branch": "main",
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "archived": False,
            "visibility": "public",
            "open_issues_count": 42,
            "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_rebase_merge": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
        },
    ),
    "issue": (
        "octokit-fixture-org/paginate-issues",
        {
            "url": "https://api.github.com/repos/octokit-fixture-org/paginate-issues/issues/13",
            "repository_url": "https://api.github.com/repos/octokit-fixture-org/paginate-issues",
            "html_url": "https://github.com/octokit-fixture-org/paginate-issues/issues/13",
            "id": 1000,
            "node_id": "MDA6RW50aXR5MQ==",
            "number": 13,
            "title": "Test issue 13",
            "user": {"login": "octokit-fixture-user-a", "id": 1000, "type": "User"},
            "labels": [],
            "state": "open",
            "locked": False,
            "assignee": None,
            "assignees": [],
            "comments": 0,
            "created_at": "2017-10-10T16:00:00Z",
            "updated_at": "2017-10-10T16:00:00Z",
            "closed_at": None,
            "author_association": "MEMBER",
            "body": None,
        },
    ),
    "pull": (
        "Codertocat/Hello-World",
        {
            "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/2",
            "id": 279147437,
            "node_id": "MDExOlB1bGxSZXF1ZXN0Mjc5MTQ3NDM3",
            "html_url": "https://github.com/Codertocat/Hello-World/pull/2",
            "number": 2,
            "state": "open",
            "locked": False,
            "title": "Update the README with new information.",
            "user": {"login": "Codertocat", "id": 21031067, "type": "User"},
            "body": "This is a pretty simple change that we need to pull into master.",
            "created_at": "2019-05-15T15:20:33Z",
            "updated_at": "2019-05-15T15:20:33Z",
            "closed_at": None,
            "merged_at": None,
            "assignee": None,
            "assignees": [],
            "labels": [],
            "head": {
                "label": "Codertocat:changes",
                "ref": "changes",
                "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
            },
            "base": {"label": "Codertocat:master", "ref": "master", "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"},
            "draft": False,
            "author_association": "OWNER",
        },
    ),
    "label": (
        "octokit-fixture-org/labels",
        [
            {
                "id": 1000,
                "node_id": "MDA6RW50aXR5MQ==",
                "name": "bug",
                "color": "d73a4a",
                "default": True,
                "description": "Something isn't working",
                "url": "https://api.github.com/repos/octokit-fixture-org/labels/labels/bug",
            },
            {
                "id": 1001,
                "node_id": "MDA6RW50aXR5MQ==",
                "name": "enhancement",
                "color": "a2eeef",
                "default": True,
                "description": "New feature or request",
                "url": "https://api.github.com/repos/octokit-fixture-org/labels/labels/enhancement",
            },
        ],
    ),
    "workflow": (
        "octo-org/octo-repo",
        {
            "id": 2823525,
            "node_id": "MDg6V29ya2Zsb3cyODIzNTI1",
            "name": "test",
            "path": ".github/workflows/test.yml",
            "state": "active",
            "created_at": "2020-10-02T12:42:30.000Z",
            "updated_at": "2020-10-03T19:24:48.000Z",
            "url": "https://api.github.com/repos/octo-org/octo-repo/actions/workflows/2823525",
            "html_url": "https://github.com/octo-org/octo-repo/blob/master/.github/workflows/test.yml",
            "badge_url": "https://github.com/octo-org/octo-repo/workflows/test/badge.svg",
        },
    ),
}


def _first(path, pick):
    try:
        return pick(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def load_templates(samples_dir=SAMPLES_DIR):
    """(source full name, body) per kind: recorded when available, built-in otherwise."""
    api = Path(samples_dir) / "api"
    hooks = Path(samples_dir) / "webhooks"
    recorded = {
        "repository": (
            "octokit-fixture-org/hello-world",
            _first(api / "get-repository.json", lambda d: d[0]["response"]),
        ),
        "issue": (
            "octokit-fixture-org/paginate-issues",
            _first(api / "paginate-issues.json", lambda d: d[0]["response"][0]),
        ),
        "label": ("octokit-fixture-org/labels", _first(api / "labels.json", lambda d: d[0]["response"])),
        "pull": (
            "Codertocat/Hello-World",
            _first(hooks / "pull_request" / "opened.payload.json", lambda d: d["pull_request"]),
        ),
        "workflow": (
            "octo-org/octo-repo",
            _first(hooks / "workflow_run" / "completed.payload.json", lambda d: d["workflow"]),
        ),
    }
    templates = {}
    for kind, (source, body) in recorded.items():
        templates[kind] = (source, body) if isinstance(body, (dict, list)) else BUILTIN[kind]
    templates["recorded"] = sorted(kind for kind, (_, body) in recorded.items() if isinstance(body, (dict, list)))
    return templates


def restamp(body, source_full_name, full_name, replacements=()):
    """A deep copy of ``body`` with one repository's names replaced by another's in every string."""
    source_owner = source_full_name.split("/")[0]
    owner = full_name.split("/")[0]
    pairs = [(source_full_name, full_name), (source_owner, owner), *replacements]

    def fix(value):
        if isinstance(value, str):
            for old, new in pairs:
                value = value.replace(old, new)
            return value
        if isinstance(value, dict):
            return {key: fix(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fix(item) for item in value]
        return value

    return fix(copy.deepcopy(body))
