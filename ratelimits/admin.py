from django.contrib import admin

from bigtables.admin import BigTableAdmin
from bigtables.filters import RecentFilter, choices_filter
from github.sansio import RATE_LIMIT_RESOURCES

from .models import GitHubRateLimit


class ObservedFilter(RecentFilter):
    title = "observed"
    field_name = "observed_at"


@admin.register(GitHubRateLimit)
class GitHubRateLimitAdmin(BigTableAdmin):
    """History written by the client; nobody edits it."""

    list_display = ["observed_at", "resource", "remaining", "limit", "used", "reset_at", "source", "short_token_hash"]
    list_filter = [choices_filter("resource", "resource", RATE_LIMIT_RESOURCES), "source", ObservedFilter]
    sortable_by = ["observed_at"]
    search_fields = exact_search_fields = ["token_hash"]
    search_help_text = "A credential: a token's SHA-256, app:<id> or installation:<id> (exact)."

    @admin.display(description="token hash")
    def short_token_hash(self, row):
        return row.token_hash[:12]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
