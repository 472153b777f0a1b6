"""Standard Webhooks (standardwebhooks.com): secrets and the headers of one attempt.

Signed with the specification's reference implementation (``standardwebhooks``),
the same one a subscriber verifies with.
"""

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification allows 24 to 64


def new_secret():
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_headers(msg_id, body, active_secrets, now):
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (one ``v1,`` per active secret)."""
    timestamp = datetime.fromtimestamp(int(now), tz=UTC)
    signatures = [Webhook(secret).sign(msg_id, timestamp, body) for secret in active_secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": " ".join(signatures),
    }
