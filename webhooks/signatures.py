"""GitHub's webhook signature: ``sha256=`` + hex HMAC-SHA256 of the raw body."""

import hashlib
import hmac
import re

SIGNATURE_PREFIX = "sha256="
_SIGNATURE_RE = re.compile(r"sha256=[0-9a-fA-F]{64}")


def compute_signature(secret: str, body: bytes) -> str:
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def is_well_formed(signature_header: str | None) -> bool:
    return bool(signature_header) and _SIGNATURE_RE.fullmatch(signature_header) is not None


def verify_signature(secrets, body: bytes, signature_header: str | None) -> bool:
    """True when ``signature_header`` is the signature of ``body`` under any of ``secrets``.

    Every secret is compared in constant time, and every one is tried, so the
    answer's timing does not tell which secret (if any) matched.
    """
    if not is_well_formed(signature_header):
        return False
    received = signature_header.lower().encode("ascii")
    matched = False
    for secret in secrets:
        if secret and hmac.compare_digest(compute_signature(secret, body).encode("ascii"), received):
            matched = True
    return matched
