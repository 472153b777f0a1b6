"""Writes of webhook configs that are more than a field update."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone


def rotate_secret_fields(config, new_secret, *, previous_secret_expires_at=None, now=None):
    """Set a new secret, keeping the old one valid for a grace period.

    GitHub switches secrets when the hook is updated; deliveries already in
    flight are signed with the old one and must not be refused.
    """
    now = now or timezone.now()
    if config.secret and new_secret != config.secret:
        config.previous_secret = config.secret
        config.previous_secret_expires_at = previous_secret_expires_at or now + timedelta(
            seconds=settings.WEBHOOK_SECRET_ROTATION_GRACE_SECONDS
        )
    config.secret = new_secret
