"""Repository state built from webhook events.

Rows are upserted by the event handlers: keyed by GitHub's identity
(repository id, repository + number), guarded by the payload's own
``updated_at`` so an older event never overwrites newer state.

Each table is named in ``Meta.db_table`` without an app prefix; the names are
those the models had in githubfeatures, so moving them here ran no SQL
(migrations/0001_initial.py) and processes of the previous version keep working.
"""

from django.db import models


class Repository(models.Model):
    github_id = models.BigIntegerField(unique=True)
    full_name = models.CharField(max_length=140, db_index=True)
    owner_login = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    private = models.BooleanField(default=False)
    description = models.TextField(blank=True, default="")
    html_url = models.URLField(max_length=500, blank=True, default="")
    default_branch = models.CharField(max_length=255, blank=True, default="")
    archived = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    github_created_at = models.DateTimeField(null=True, blank=True)
    github_updated_at = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "repositories"
        ordering = ["full_name"]
        verbose_name_plural = "repositories"

    def __str__(self):
        return self.full_name


class PullRequest(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="pull_requests")
    number = models.PositiveIntegerField()
    github_id = models.BigIntegerField()
    title = models.TextField()
    state = models.CharField(max_length=20)
    draft = models.BooleanField(default=False)
    merged = models.BooleanField(default=False)
    merged_at = models.DateTimeField(null=True, blank=True)
    author_login = models.CharField(max_length=100, blank=True, default="")
    head_ref = models.CharField(max_length=255, blank=True, default="")
    head_sha = models.CharField(max_length=40, blank=True, default="")
    base_ref = models.CharField(max_length=255, blank=True, default="")
    base_sha = models.CharField(max_length=40, blank=True, default="")
    labels = models.JSONField(default=list)
    assignees = models.JSONField(default=list)
    requested_reviewers = models.JSONField(default=list)
    html_url = models.URLField(max_length=500, blank=True, default="")
    github_created_at = models.DateTimeField(null=True, blank=True)
    github_updated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_action = models.CharField(max_length=64, blank=True, default="")
    last_delivery_id = models.CharField(max_length=64, blank=True, default="")
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "pull_requests"
        ordering = ["repository", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "number"], name="pull_request_unique_number"),
        ]
        indexes = [models.Index(fields=["state"], name="pull_request_state_idx")]

    def __str__(self):
        return f"{self.repository}#{self.number}"


class Issue(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="issues")
    number = models.PositiveIntegerField()
    github_id = models.BigIntegerField()
    title = models.TextField()
    state = models.CharField(max_length=20)
    state_reason = models.CharField(max_length=30, blank=True, default="")
    author_login = models.CharField(max_length=100, blank=True, default="")
    labels = models.JSONField(default=list)
    assignees = models.JSONField(default=list)
    milestone_title = models.CharField(max_length=255, blank=True, default="")
    comments = models.PositiveIntegerField(default=0)
    is_pull_request = models.BooleanField(default=False)
    html_url = models.URLField(max_length=500, blank=True, default="")
    github_created_at = models.DateTimeField(null=True, blank=True)
    github_updated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A deleted issue stays deleted: no later event brings it back.
    deleted = models.BooleanField(default=False)
    transferred_to = models.CharField(max_length=160, blank=True, default="")
    last_action = models.CharField(max_length=64, blank=True, default="")
    last_delivery_id = models.CharField(max_length=64, blank=True, default="")
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "issues"
        ordering = ["repository", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "number"], name="issue_unique_number"),
        ]
        indexes = [models.Index(fields=["state"], name="issue_state_idx")]

    def __str__(self):
        return f"{self.repository}#{self.number}"


class Label(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="labels")
    github_id = models.BigIntegerField()
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=6, blank=True, default="")
    description = models.TextField(blank=True, default="")
    deleted = models.BooleanField(default=False)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "labels"
        ordering = ["repository", "name"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "github_id"], name="label_unique_github_id"),
        ]

    def __str__(self):
        return f"{self.repository}: {self.name}"


class Push(models.Model):
    """One push, as one delivery told it. Append-only: a delivery is recorded once."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="pushes")
    delivery_id = models.CharField(max_length=64, unique=True)
    ref = models.CharField(max_length=255)
    before = models.CharField(max_length=40)
    after = models.CharField(max_length=40)
    forced = models.BooleanField(default=False)
    created = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    pusher_name = models.CharField(max_length=100, blank=True, default="")
    pusher_email = models.CharField(max_length=254, blank=True, default="")
    commit_count = models.PositiveIntegerField(default=0, help_text="Commits in the payload.")
    distinct_count = models.PositiveIntegerField(default=0, help_text="Of those, commits new to the repository.")
    # GitHub lists at most 20 commits in a push payload; more were pushed when this is set.
    commits_truncated = models.BooleanField(default=False)
    head_commit_id = models.CharField(max_length=40, blank=True, default="")
    head_commit_message = models.TextField(blank=True, default="")
    head_commit_timestamp = models.DateTimeField(null=True, blank=True)
    compare_url = models.URLField(max_length=500, blank=True, default="")
    received_at = models.DateTimeField()

    class Meta:
        db_table = "pushes"
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "pushes"
        indexes = [
            models.Index(fields=["repository", "ref"], name="push_repository_ref_idx"),
            # The admin's list, newest first, whole or of one repository; its search by head sha.
            models.Index(fields=["received_at"], name="push_received_idx"),
            models.Index(fields=["repository", "received_at"], name="push_repository_recv_idx"),
            models.Index(fields=["after"], name="push_after_idx"),
        ]

    def __str__(self):
        return f"{self.repository} {self.ref} {self.after[:7]}"


class Commit(models.Model):
    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="commits")
    sha = models.CharField(max_length=40)
    message = models.TextField(blank=True, default="")
    author_name = models.CharField(max_length=255, blank=True, default="")
    author_email = models.CharField(max_length=254, blank=True, default="")
    author_username = models.CharField(max_length=100, blank=True, default="")
    timestamp = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True, default="")
    distinct = models.BooleanField(default=True)

    class Meta:
        db_table = "commits"
        ordering = ["push", "id"]
        constraints = [models.UniqueConstraint(fields=["push", "sha"], name="commit_unique_per_push")]

    def __str__(self):
        return self.sha[:7]
