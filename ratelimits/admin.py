from django.contrib import admin

from .models import GitHubRateLimit


@admin.register(GitHubRateLimit)
class GitHubRateLimitAdmin(admin.ModelAdmin):
    """History written by the client; nobody edits it."""

    list_display = ["observed_at", "resource", "remaining", "limit", "used", "reset_at", "source", "short_token_hash"]
    list_filter = ["resource", "source", "observed_at"]
    search_fields = ["token_hash"]
    date_hierarchy = "observed_at"
    show_full_result_count = False

    @admin.display(description="token hash")
    def short_token_hash(self, row):
        return row.token_hash[:12]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
