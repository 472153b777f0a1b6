"""System checks: settings that would break exactly-once storing are refused at start-up."""

from django.conf import settings
from django.core import checks

# GitHub lets a delivery be redelivered for 3 days; a copy must still find its receipt.
GITHUB_REDELIVERY_DAYS = 3


@checks.register()
def receipts_outlast_redelivery(app_configs=None, **kwargs):
    if settings.WEBHOOK_DELIVERY_DEDUP_DAYS <= GITHUB_REDELIVERY_DAYS:
        return [
            checks.Error(
                f"WEBHOOK_DELIVERY_DEDUP_DAYS must be more than {GITHUB_REDELIVERY_DAYS} (GitHub's redelivery "
                "window): a redelivered copy would be stored a second time.",
                id="webhooks.E001",
            )
        ]
    return []
