from django.contrib import admin, messages

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at"]
    list_filter = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request, obj=None):
        # A token is issued or revoked, never edited.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        raw_key = obj.set_new_key()
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            f"Copy this token now, it is not stored and will not be shown again: {raw_key}",
        )
