from django.contrib import admin

from repositories.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Installation, InstallationRepository


class InstallationRepositoryInline(ReadOnlyInline):
    model = InstallationRepository
    fields = ["full_name", "repository_id"]


@admin.register(Installation)
class InstallationAdmin(ReadOnlyAdmin):
    """Installations are GitHub's, kept in step by its events. Never a token."""

    list_display = ["id", "account_login", "account_type", "repository_selection", "suspended_at", "deleted"]
    list_filter = ["deleted", "repository_selection", "account_type"]
    search_fields = ["account_login", "repositories__full_name"]
    inlines = [InstallationRepositoryInline]
