"""What the receiver answers for a delivery, and why it refuses one; each list is defined here only.

The receiver's answers, its metric labels and the OpenAPI enums are all read
from these classes. A stored event's own states are ``WebhookEvent.Status``
(models.py).
"""

from django.db import models


class DeliveryOutcome(models.TextChoices):
    """The ``status`` the receiver answers for a verified delivery (also a metric label)."""

    # Labels equal to the values: the OpenAPI enum describes each as "`queued` - queued".
    QUEUED = "queued", "queued"
    SKIPPED = "skipped", "skipped"
    PROCESSED = "processed", "processed"
    DUPLICATE = "duplicate", "duplicate"


# How the rollups and the dashboard name every refused delivery (its detail is the reason).
REJECTED = "rejected"


class RejectionReason(models.TextChoices):
    """Why a delivery was refused and not stored (the metric label of ``DeliveryRejected``)."""

    BAD_SIGNATURE = "bad_signature"
    NO_SECRET = "no_secret"
    MISSING_HEADER = "missing_header"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    STORAGE_UNAVAILABLE = "storage_unavailable"
