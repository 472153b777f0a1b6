from django.contrib import admin

from github.client import get_client
from repositories.admin import ReadOnlyAdmin, ReadOnlyInline

from . import selectors
from .models import Installation, InstallationRepository


class InstallationRepositoryInline(ReadOnlyInline):
    model = InstallationRepository
    fields = ["full_name", "repository_id"]


@admin.register(Installation)
class InstallationAdmin(ReadOnlyAdmin):
    """Installations are GitHub's, kept in step by its events. Never a token."""

    list_display = [
        "id",
        "account_login",
        "account_type",
        "repository_selection",
        "suspended_at",
        "deleted",
        "token_expires_at",
        "rate_limit_remaining",
    ]
    list_filter = ["deleted", "repository_selection", "account_type"]
    search_fields = ["account_login", "repositories__full_name"]
    inlines = [InstallationRepositoryInline]

    @admin.display(description="token expires")
    def token_expires_at(self, installation):
        # When the shared token expires; the token itself is never shown.
        return selectors.token_expiries([installation.id]).get(installation.id) or "–"

    @admin.display(description="core requests left")
    def rate_limit_remaining(self, installation):
        remaining = selectors.budgets(get_client().rate_limits, [installation.id]).get(installation.id)
        return "–" if remaining is None else remaining
