from django.db import models


class Installation(models.Model):
    """An installation of the GitHub App on an account (from installation events, or asked of GitHub)."""

    class RepositorySelection(models.TextChoices):
        ALL = "all", "all repositories"
        SELECTED = "selected", "selected repositories"

    # GitHub's installation id: a reinstall gets a new one, an id is never reused.
    id = models.BigIntegerField(primary_key=True)
    account_login = models.CharField(max_length=255)
    account_type = models.CharField(max_length=32, blank=True, default="")
    repository_selection = models.CharField(
        max_length=16, choices=RepositorySelection.choices, default=RepositorySelection.SELECTED
    )
    permissions = models.JSONField(default=dict, blank=True)
    events = models.JSONField(default=list, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    # A deleted installation stays deleted: no later (or redelivered) event brings it back.
    deleted = models.BooleanField(default=False)
    github_updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "github_installations"
        indexes = [models.Index(fields=["account_login"], name="github_inst_account_idx")]

    def __str__(self):
        return f"{self.account_login} ({self.id})"


class InstallationRepository(models.Model):
    """A repository an installation with selected repositories covers."""

    installation = models.ForeignKey(Installation, on_delete=models.CASCADE, related_name="repositories")
    # Unknown when the mapping was asked of GitHub (GET /repos/{owner}/{repo}/installation) rather than sent.
    repository_id = models.BigIntegerField(null=True, blank=True)
    # Lower-case: GitHub names are case-insensitive, and lookups go by name.
    full_name = models.CharField(max_length=140)

    class Meta:
        db_table = "github_installation_repositories"
        constraints = [models.UniqueConstraint(fields=["installation", "full_name"], name="github_inst_repo_unique")]
        indexes = [models.Index(fields=["full_name"], name="github_inst_repo_name_idx")]

    def __str__(self):
        return self.full_name
