from django.contrib import admin

from .models import Installation, InstallationRepository


class InstallationRepositoryInline(admin.TabularInline):
    model = InstallationRepository
    fields = ["full_name", "repository_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    """Read-only: installations are GitHub's, kept in step by its events. Never a token."""

    list_display = ["id", "account_login", "account_type", "repository_selection", "suspended_at", "deleted"]
    list_filter = ["deleted", "repository_selection", "account_type"]
    search_fields = ["account_login", "repositories__full_name"]
    readonly_fields = [field.name for field in Installation._meta.fields]
    inlines = [InstallationRepositoryInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
