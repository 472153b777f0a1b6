"""GitHub's naming rules, checked before anything is sent upstream."""

import re

# Owners: alphanumerics and single hyphens, not at either end, at most 39.
OWNER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
# Repositories: alphanumerics, '-', '_' and '.', at most 100; not "." or "..".
REPO_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,100}")


def is_valid_owner(owner):
    return OWNER_RE.fullmatch(owner) is not None


def is_valid_repository(owner, repo):
    return is_valid_owner(owner) and REPO_NAME_RE.fullmatch(repo) is not None and repo not in (".", "..")
