import re

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from bigtables.admin import BigTableAdmin
from bigtables.filters import RecentFilter, choices_filter

from . import selectors
from .models import Commit, Issue, Label, PullRequest, Push, Repository


class ReadOnlyAdmin(admin.ModelAdmin):
    """State is written by event processing only; staff look, they do not edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


RECENT_ON_REPOSITORY = 10


@admin.register(Repository)
class RepositoryAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "private", "default_branch", "archived", "deleted", "github_updated_at", "synced_at"]
    list_filter = ["private", "archived", "deleted"]
    search_fields = ["full_name", "description"]
    readonly_fields = ["on_github", "related", "recent_pushes", "recent_events"]

    def get_fields(self, request, obj=None):
        return [*self.readonly_fields, *(f.name for f in Repository._meta.fields if f.name != "id")]

    @admin.display(description="on GitHub")
    def on_github(self, repository):
        url = f"https://github.com/{repository.full_name}"
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', url, url)

    @admin.display(description="state")
    def related(self, repository):
        """Counts of its pull requests, issues and pushes, each linked to the filtered list (indexed counts)."""
        links = []
        for model, label in ((PullRequest, "pull requests"), (Issue, "issues"), (Push, "pushes")):
            count = model.objects.filter(repository=repository).count()
            url = reverse(f"admin:repositories_{model._meta.model_name}_changelist")
            links.append(
                format_html('<a href="{}?repository__id__exact={}">{} {}</a>', url, repository.pk, count, label)
            )
        return format_html_join(", ", "{}", ((link,) for link in links))

    @admin.display(description="last pushes")
    def recent_pushes(self, repository):
        pushes = Push.objects.filter(repository=repository).order_by("-received_at")[:RECENT_ON_REPOSITORY]
        return _table(
            ["received", "ref", "commits", "pusher"],
            (
                (
                    format_html(
                        '<a href="{}">{}</a>',
                        reverse("admin:repositories_push_change", args=[push.pk]),
                        f"{push.received_at:%Y-%m-%d %H:%M:%S}",
                    ),
                    push.ref,
                    push.commit_count,
                    push.pusher_name,
                )
                for push in pushes
            ),
        )

    @admin.display(description="last events")
    def recent_events(self, repository):
        events = selectors.recent_events_of(repository.full_name, RECENT_ON_REPOSITORY)
        return _table(
            ["received", "event", "status"],
            (
                (
                    format_html(
                        '<a href="{}">{}</a>',
                        reverse("admin:webhooks_webhookevent_change", args=[event.pk]),
                        f"{event.received_at:%Y-%m-%d %H:%M:%S}",
                    ),
                    f"{event.event}.{event.action}" if event.action else event.event,
                    event.status,
                )
                for event in events
            ),
        )


def _table(headers, rows):
    rows = list(rows)
    if not rows:
        return "None yet."
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


# GitHub's two states; Django's own filter would read every row for the distinct values.
StateFilter = choices_filter("state", "state", ["open", "closed"])


NUMBER = re.compile(r"[0-9]{1,9}")


class NumberOrTitleSearch:
    """A number finds that pull request or issue; words search titles (trigram index on PostgreSQL: migration 0003)."""

    search_fields = ["title"]
    search_help_text = "A number, or words of the title."

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lstrip("#")
        if NUMBER.fullmatch(term):
            return queryset.filter(number=int(term)), False
        return super().get_search_results(request, queryset, search_term)


# Newest first by id (the primary key's index), whole or within a repository (the filter: the
# repositories table, not this one); the models' own order would sort the whole table.
@admin.register(PullRequest)
class PullRequestAdmin(NumberOrTitleSearch, BigTableAdmin, ReadOnlyAdmin):
    list_display = ["repository", "number", "title", "state", "draft", "merged", "author_login", "github_updated_at"]
    list_filter = [StateFilter, "draft", "merged", "repository"]
    ordering = ["-id"]
    list_select_related = ["repository"]


@admin.register(Issue)
class IssueAdmin(NumberOrTitleSearch, BigTableAdmin, ReadOnlyAdmin):
    list_display = ["repository", "number", "title", "state", "deleted", "author_login", "github_updated_at"]
    list_filter = [StateFilter, "deleted", "is_pull_request", "repository"]
    ordering = ["-id"]
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
class PushAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ["repository", "ref", "after", "pusher_name", "commit_count", "commits_truncated", "received_at"]
    list_filter = ["created", "deleted", "forced", RecentFilter, "repository"]
    sortable_by = ["received_at"]
    search_fields = exact_search_fields = ["after", "delivery_id"]
    search_help_text = "A head commit's full sha, or a delivery id (exact)."
    inlines = [CommitInline]
    list_select_related = ["repository"]
