from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "API access"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from .authentication import recent_tokens
        from .models import ApiToken

        # A revoked token or a changed user (deactivated, no longer staff) is
        # served from memory by no process once the change has returned.
        post_delete.connect(recent_tokens.changed, sender=ApiToken, dispatch_uid="api-token-revoked")
        post_save.connect(recent_tokens.changed, sender=ApiToken, dispatch_uid="api-token-saved")
        post_save.connect(_user_changed, sender=get_user_model(), dispatch_uid="api-token-user-changed")
        post_delete.connect(recent_tokens.changed, sender=get_user_model(), dispatch_uid="api-token-user-deleted")


def _user_changed(sender, update_fields=None, **kwargs):
    from .authentication import recent_tokens

    # A login saves last_login alone: nothing a token check reads.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    recent_tokens.changed()
