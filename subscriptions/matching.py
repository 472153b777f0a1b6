"""Which events a subscription wants: its filters, and what makes a filter well formed. Pure functions."""

import fnmatch
import re

from webhooks.constants import GITHUB_EVENTS, WILDCARD_EVENT

ACTION = re.compile(r"^([a-z_]+)\.([a-z_]+)$")
# owner/name, each part GitHub's characters plus glob characters.
REPOSITORY_GLOB = re.compile(r"^[A-Za-z0-9_.*?\[\]!-]+/[A-Za-z0-9_.*?\[\]!-]+$")
BRANCH_GLOB = re.compile(r"^[^\s~^:\\]+$")


class FilterError(ValueError):
    """A filter value that is not well formed; the message names it."""


def _balanced(pattern):
    depth = 0
    for char in pattern:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if depth not in (0, 1):
            return False
    return depth == 0


def check_events(events):
    if not events:
        raise FilterError('Give at least one GitHub event name, or "*".')
    for name in events:
        if name != WILDCARD_EVENT and name not in GITHUB_EVENTS:
            raise FilterError(f"{name!r} is not a GitHub event.")
    return list(dict.fromkeys(events))


def check_actions(actions):
    for value in actions:
        match = ACTION.match(value)
        if not match or match.group(1) not in GITHUB_EVENTS:
            raise FilterError(f'{value!r} is not "event.action" with a GitHub event, e.g. "pull_request.opened".')
    return list(dict.fromkeys(actions))


def check_repositories(patterns):
    for pattern in patterns:
        if not REPOSITORY_GLOB.match(pattern) or not _balanced(pattern):
            raise FilterError(f'{pattern!r} is not an "owner/name" glob, e.g. "octo-org/*".')
    return list(dict.fromkeys(patterns))


def check_branches(patterns):
    for pattern in patterns:
        if not BRANCH_GLOB.match(pattern) or ".." in pattern or not _balanced(pattern):
            raise FilterError(f'{pattern!r} is not a branch glob, e.g. "main" or "release/*".')
    return list(dict.fromkeys(patterns))


def branch_of(event, payload):
    """The branch an event is about (a push's branch, a pull request's base), None when it has none.

    A push of a tag has a ref but no branch: it is ``""``, which no branch glob matches.
    """
    if event == "push":
        ref = payload.get("ref") or ""
        return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else ""
    pull_request = payload.get("pull_request")
    if isinstance(pull_request, dict):
        base = pull_request.get("base") or {}
        return base.get("ref") if isinstance(base, dict) else None
    return None


def matches(subscription, event, action, repository, payload):
    """True when the subscription wants this event.

    ``actions`` narrow only the events they name (``pull_request.opened`` keeps
    other pull_request actions out, not pushes); ``branches`` narrow only the
    events that are about a branch. Names compare case-insensitively, as GitHub's.
    """
    if WILDCARD_EVENT not in subscription.events and event not in subscription.events:
        return False
    named = [value for value in subscription.actions if value.split(".", 1)[0] == event]
    if named and f"{event}.{action}" not in named:
        return False
    if subscription.repositories:
        name = repository.lower()
        if not name or not any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in subscription.repositories):
            return False
    if subscription.branches:
        branch = branch_of(event, payload)
        if branch is not None and not any(fnmatch.fnmatchcase(branch, pattern) for pattern in subscription.branches):
            return False
    return True
