from django.conf import settings
from django.db.models import Q

from .models import WebhookConfig, WebhookEvent


def find_config_for_delivery(*, hook_id=None, repository_full_name="", owner=""):
    """The config that signs a delivery, most specific first.

    GitHub's hook id names the hook exactly; otherwise the repository's own
    config; otherwise the organization-level config of its owner.
    """
    query = Q()
    if hook_id is not None:
        query |= Q(hook_id=hook_id)
    if repository_full_name:
        query |= Q(repository__iexact=repository_full_name)
    if owner:
        query |= Q(repository__iexact=owner)
    if not query:
        return None
    candidates = list(WebhookConfig.objects.filter(query)[:3])
    if hook_id is not None:
        for config in candidates:
            if config.hook_id == hook_id:
                return config
    for wanted in (repository_full_name, owner):
        for config in candidates:
            if wanted and config.repository.lower() == wanted.lower():
                return config
    return None


def secrets_for(config, now):
    """The secrets a delivery may be signed with right now."""
    if config is None:
        return [settings.GITHUB_WEBHOOK_SECRET] if settings.GITHUB_WEBHOOK_SECRET else []
    secrets = [config.secret]
    # A previous secret without an expiry is not accepted: rotation must end.
    expires_at = config.previous_secret_expires_at
    if config.previous_secret and expires_at is not None and expires_at > now:
        secrets.append(config.previous_secret)
    return [secret for secret in secrets if secret]


def event_list():
    # The list never shows payloads; they can be megabytes each.
    return WebhookEvent.objects.defer("payload", "headers")


def event_detail_list():
    return WebhookEvent.objects.all()
