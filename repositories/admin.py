from django.contrib import admin

from .models import Commit, Issue, Label, PullRequest, Push, Repository


class ReadOnlyAdmin(admin.ModelAdmin):
    """State is written by event processing only; staff look, they do not edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Repository)
class RepositoryAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "private", "default_branch", "archived", "deleted", "github_updated_at", "synced_at"]
    list_filter = ["private", "archived", "deleted"]
    search_fields = ["full_name", "description"]


@admin.register(PullRequest)
class PullRequestAdmin(ReadOnlyAdmin):
    list_display = ["repository", "number", "title", "state", "draft", "merged", "author_login", "github_updated_at"]
    list_filter = ["state", "draft", "merged", "repository"]
    search_fields = ["title", "author_login", "head_ref", "repository__full_name"]
    list_select_related = ["repository"]


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ["repository", "number", "title", "state", "deleted", "author_login", "github_updated_at"]
    list_filter = ["state", "deleted", "is_pull_request", "repository"]
    search_fields = ["title", "author_login", "repository__full_name"]
    list_select_related = ["repository"]


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = ["repository", "name", "color", "deleted"]
    list_filter = ["deleted", "repository"]
    search_fields = ["name"]


class ReadOnlyInline(admin.TabularInline):
    """Rows shown with their parent, never added, changed or deleted there."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class CommitInline(ReadOnlyInline):
    model = Commit
    fields = ["sha", "message", "author_name", "timestamp", "distinct"]


@admin.register(Push)
class PushAdmin(ReadOnlyAdmin):
    list_display = ["repository", "ref", "after", "pusher_name", "commit_count", "commits_truncated", "received_at"]
    list_filter = ["created", "deleted", "forced", "repository"]
    search_fields = ["ref", "after", "pusher_name", "repository__full_name", "delivery_id"]
    date_hierarchy = "received_at"
    inlines = [CommitInline]
    list_select_related = ["repository"]
