"""Moving the repository-state models out of githubfeatures keeps every row, relation and grant.

The database is migrated back to before the move (githubfeatures 0001, repositories
unapplied), filled through the historical githubfeatures models, migrated forward
again and read through the repositories models. Runs on PostgreSQL and on SQLite;
a transactional test, since migrations cannot run inside the test's transaction.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from repositories.models import Commit, Issue, Label, PullRequest, Push, Repository

BEFORE_THE_MOVE = [("githubfeatures", "0001_initial"), ("repositories", None)]
TABLES = {
    Repository: "repositories",
    PullRequest: "pull_requests",
    Issue: "issues",
    Label: "labels",
    Push: "pushes",
    Commit: "commits",
}
WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def migrate(targets=None):
    """Migrate to ``targets`` (default: every app's latest); the resulting historical apps."""
    executor = MigrationExecutor(connection)
    state = executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return state.apps


def fill(apps):
    """One of everything, through the historical githubfeatures models; the ids."""
    repository = apps.get_model("githubfeatures", "Repository").objects.create(
        github_id=1296269,
        full_name="octocat/Hello-World",
        owner_login="octocat",
        name="Hello-World",
        default_branch="main",
        github_updated_at=WHEN,
    )
    pull = apps.get_model("githubfeatures", "PullRequest").objects.create(
        repository=repository,
        number=7,
        github_id=700,
        title="Fix the widget",
        state="open",
        labels=["bug"],
        requested_reviewers=["hubot"],
        github_updated_at=WHEN,
    )
    label = apps.get_model("githubfeatures", "Label").objects.create(
        repository=repository, github_id=208045946, name="bug", color="f29513"
    )
    issue = apps.get_model("githubfeatures", "Issue").objects.create(
        repository=repository,
        number=8,
        github_id=800,
        title="The widget is broken",
        state="open",
        labels=[label.name],
        milestone_title="v1",
        github_updated_at=WHEN,
    )
    push = apps.get_model("githubfeatures", "Push").objects.create(
        repository=repository,
        delivery_id="d-1",
        ref="refs/heads/main",
        before="a" * 40,
        after="b" * 40,
        commit_count=1,
        distinct_count=1,
        head_commit_id="b" * 40,
        received_at=WHEN,
    )
    commit = apps.get_model("githubfeatures", "Commit").objects.create(
        push=push, sha="b" * 40, message="Fix the widget", author_username="octocat", timestamp=WHEN
    )
    # A grant on a moved model: it must follow the model to its new app label.
    ContentTypeThen = apps.get_model("contenttypes", "ContentType")
    PermissionThen = apps.get_model("auth", "Permission")
    content_type, _ = ContentTypeThen.objects.get_or_create(app_label="githubfeatures", model="pullrequest")
    permission, _ = PermissionThen.objects.get_or_create(
        content_type=content_type, codename="view_pullrequest", defaults={"name": "Can view pull request"}
    )
    group = apps.get_model("auth", "Group").objects.create(name="pull request readers")
    group.permissions.add(permission)
    user = apps.get_model("auth", "User").objects.create(username="reader", is_staff=True)
    user.groups.add(group)
    return {
        "repository": repository.pk,
        "pull": pull.pk,
        "label": label.pk,
        "issue": issue.pk,
        "push": push.pk,
        "commit": commit.pk,
        "content_type": content_type.pk,
        "user": user.pk,
    }


def test_moving_the_models_to_repositories_keeps_rows_relations_and_grants(transactional_db):
    try:
        apps = migrate(BEFORE_THE_MOVE)
        applied = MigrationRecorder(connection).applied_migrations()
        assert ("githubfeatures", "0001_initial") in applied
        assert ("githubfeatures", "0002_move_repository_state_to_repositories") not in applied
        assert ("repositories", "0001_initial") not in applied
        ids = fill(apps)
        migrate()
        ContentType.objects.clear_cache()

        repository = Repository.objects.get()
        assert (repository.pk, repository.github_id, repository.full_name, repository.default_branch) == (
            ids["repository"],
            1296269,
            "octocat/Hello-World",
            "main",
        )
        assert repository.github_updated_at == WHEN

        pull = repository.pull_requests.get()
        assert (pull.pk, pull.number, pull.title, pull.labels, pull.requested_reviewers) == (
            ids["pull"],
            7,
            "Fix the widget",
            ["bug"],
            ["hubot"],
        )
        label = repository.labels.get()
        assert (label.pk, label.github_id, label.name, label.color) == (ids["label"], 208045946, "bug", "f29513")
        issue = repository.issues.get()
        assert (issue.pk, issue.number, issue.labels, issue.milestone_title) == (ids["issue"], 8, ["bug"], "v1")
        push = repository.pushes.get()
        assert (push.pk, push.delivery_id, push.ref, push.after) == (ids["push"], "d-1", "refs/heads/main", "b" * 40)
        commit = push.commits.get()
        assert (commit.pk, commit.sha, commit.message, commit.timestamp) == (
            ids["commit"],
            "b" * 40,
            "Fix the widget",
            WHEN,
        )
        assert Commit.objects.select_related("push__repository").get().push.repository == repository

        # Same tables, and their constraints still hold.
        assert {model._meta.db_table for model in TABLES} == set(TABLES.values())
        assert set(TABLES.values()) <= set(connection.introspection.table_names())
        with pytest.raises(IntegrityError), transaction.atomic():
            PullRequest.objects.create(repository=repository, number=7, github_id=701, title="Again", state="open")

        # The content type moved with the model (same row), so the group's grant still applies.
        content_type = ContentType.objects.get_for_model(PullRequest)
        assert (content_type.pk, content_type.app_label) == (ids["content_type"], "repositories")
        assert not ContentType.objects.filter(app_label="githubfeatures", model="pullrequest").exists()
        assert Permission.objects.get(codename="view_pullrequest").content_type == content_type
        assert get_user_model().objects.get(pk=ids["user"]).has_perm("repositories.view_pullrequest")
    finally:
        migrate()
        ContentType.objects.clear_cache()
