"""System checks: subscription settings that would break sending are found at start-up, not at the first message."""

import ipaddress

from django.conf import settings
from django.core import checks


@checks.register()
def subscription_settings_are_usable(app_configs=None, **kwargs):
    errors = []
    for cidr in settings.SUBSCRIPTION_ALLOWED_NETWORKS:
        try:
            ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"SUBSCRIPTION_ALLOWED_NETWORKS: {cidr!r} is not a network (CIDR, e.g. 10.0.0.0/8).",
                    id="subscriptions.E001",
                )
            )
    schedule = settings.SUBSCRIPTION_RETRY_SCHEDULE
    if not schedule or any(seconds < 0 for seconds in schedule):
        errors.append(
            checks.Error(
                "SUBSCRIPTION_RETRY_SCHEDULE: give one or more delays in seconds, none negative (e.g. 0,5,300).",
                id="subscriptions.E002",
            )
        )
    if settings.SUBSCRIPTION_TIMEOUT_SECONDS <= 0:
        errors.append(checks.Error("SUBSCRIPTION_TIMEOUT_SECONDS must be more than 0.", id="subscriptions.E003"))
    return errors
