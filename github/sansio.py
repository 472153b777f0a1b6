"""Pure functions over what GitHub sends: status, headers (lower-case names) and bodies.

No I/O, no clock of their own (``now`` is an argument), no settings: each is
tested as a table of inputs and the decision it makes (gidgethub's
``sansio`` split). The client does the sending, waiting and storing.
"""

import email.utils
import json
import math
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

API_VERSION = "2022-11-28"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Safe to send twice when a response was lost (read timeout).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SECONDARY_LIMIT_MESSAGES = ("secondary rate limit", "abuse detection", "abuse rate limit")

# Where a rate-limit state was read (the values of ratelimits' ``Source`` choices).
FROM_HEADERS = "headers"
FROM_RATE_LIMIT_ENDPOINT = "rate_limit_endpoint"
# Kinds of limit, the ``kind`` of RateLimited and of the wait metrics.
# GitHub's rate-limit resources, as GET /rate_limit names them (x-ratelimit-resource).
RATE_LIMIT_RESOURCES = (
    "core",
    "search",
    "code_search",
    "graphql",
    "integration_manifest",
    "source_import",
    "code_scanning_upload",
    "code_scanning_autofix",
    "actions_runner_registration",
    "scim",
    "dependency_snapshots",
    "dependency_sbom",
    "audit_log",
    "audit_log_streaming",
)

PRIMARY = "primary"
SECONDARY = "secondary"

# Epoch values above this are milliseconds (recorded fixtures), not seconds.
_MILLISECONDS_THRESHOLD = 10**11


@dataclass(frozen=True)
class RateLimitState:
    resource: str
    limit: int
    remaining: int
    used: int
    reset: int  # epoch seconds, as GitHub sends it
    observed_at: float  # epoch seconds
    source: str = FROM_HEADERS

    @property
    def reset_at(self):
        return datetime.fromtimestamp(self.reset, tz=UTC)

    @property
    def observed_datetime(self):
        return datetime.fromtimestamp(self.observed_at, tz=UTC)

    def is_exhausted(self, now):
        return self.remaining <= 0 and self.reset > now

    def effective_remaining(self, now):
        """What is left now: a window whose reset has passed is full again."""
        return self.limit if self.reset <= now else self.remaining

    def to_dict(self):
        return {**asdict(self), "source": str(self.source)}


@dataclass(frozen=True)
class RateLimitDecision:
    """A response that is a rate limit: which kind, how long to wait, and (primary) when it resets."""

    kind: str
    delay: float
    reset_at: datetime | None = None


def _count(value):
    """A header or body count: a non-negative integer, else None (absent, garbage, negative)."""
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _epoch_seconds(value):
    number = _count(value)
    if number is not None and number > _MILLISECONDS_THRESHOLD:
        number //= 1000
    return number


def rate_limit_state(headers, now):
    """The state in x-ratelimit-* headers, or None when they are absent or malformed."""
    limit = _count(headers.get("x-ratelimit-limit"))
    remaining = _count(headers.get("x-ratelimit-remaining"))
    reset = _epoch_seconds(headers.get("x-ratelimit-reset"))
    if limit is None or remaining is None or reset is None:
        return None
    used = _count(headers.get("x-ratelimit-used"))
    return RateLimitState(
        resource=(headers.get("x-ratelimit-resource") or "core")[:64],
        limit=limit,
        remaining=remaining,
        used=used if used is not None else max(limit - remaining, 0),
        reset=reset,
        observed_at=now,
    )


def rate_limit_states(body, now):
    """States for every resource of a GET /rate_limit body."""
    states = []
    resources = body.get("resources") if isinstance(body, dict) else None
    for resource, values in (resources or {}).items():
        if not isinstance(values, dict):
            continue
        state = rate_limit_state(
            {
                "x-ratelimit-limit": values.get("limit"),
                "x-ratelimit-remaining": values.get("remaining"),
                "x-ratelimit-reset": values.get("reset"),
                "x-ratelimit-used": values.get("used"),
                "x-ratelimit-resource": resource,
            },
            now,
        )
        if state is not None:
            states.append(replace(state, source=FROM_RATE_LIMIT_ENDPOINT))
    return states


def rate_limit_resource(template):
    """The x-ratelimit-resource a path spends, or None for GET /rate_limit (free)."""
    if template.startswith("/rate_limit"):
        return None
    if template.startswith("/search/code"):
        return "code_search"
    if template.startswith("/search/"):
        return "search"
    if template.startswith("/graphql"):
        return "graphql"
    return "core"


def retry_after_seconds(value, now):
    """retry-after as seconds: GitHub sends an integer; an HTTP date is accepted too."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, math.ceil(when.timestamp() - now))


def rate_limit_decision(status, headers, body, now, *, secondary_min_wait, repeats=0):
    """A RateLimitDecision when this response is a rate limit, else None (a permission 403 is None).

    Primary: ``x-ratelimit-remaining: 0`` without ``retry-after``; wait until
    the reset. Secondary: ``retry-after``, a 429, or GitHub's message; GitHub
    says honour retry-after, else wait at least a minute, and longer on
    repeats (``repeats`` secondary limits in a row double it each time).
    """
    if status not in (403, 429):
        return None
    retry_after = retry_after_seconds(headers.get("retry-after"), now)
    if retry_after is None and headers.get("x-ratelimit-remaining") == "0":
        state = rate_limit_state(headers, now)
        reset = state.reset if state is not None else now + 60
        return RateLimitDecision(PRIMARY, max(0, math.ceil(reset - now)), datetime.fromtimestamp(reset, tz=UTC))
    message = (body.get("message", "") if isinstance(body, dict) else str(body or "")).lower()
    is_secondary = retry_after is not None or status == 429 or any(text in message for text in SECONDARY_LIMIT_MESSAGES)
    if not is_secondary:
        return None
    base = retry_after if retry_after is not None else secondary_min_wait
    return RateLimitDecision(SECONDARY, base * 2**repeats)


def parse_link_header(value):
    """rel -> URL from a Link header (``<url>; rel="next", ...``)."""
    links = {}
    for part in (value or "").split(","):
        url, _, params = part.partition(";")
        url = url.strip()
        if not (url.startswith("<") and url.endswith(">")):
            continue
        for param in params.split(";"):
            name, _, rel = param.strip().partition("=")
            if name == "rel":
                for rel_value in rel.strip('"').split():
                    links[rel_value] = url[1:-1]
    return links


def parse_body(content, content_type):
    """A body as JSON when it says so and parses, else as text; None when empty."""
    if not content:
        return None
    if "json" in (content_type or ""):
        try:
            return json.loads(content)
        except ValueError:
            pass
    return content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content


# What GitHub accepts of an App JWT: issued at most 60 s "late" by our clock, valid under 10 minutes.
APP_JWT_BACKDATE = 60
APP_JWT_LIFETIME = 540
JWT_CLOCK_CLAIMS = ("'issued at' claim", "'expiration time' claim")


def app_jwt_claims(app_id, now):
    """The claims of an App JWT issued at ``now`` (GitHub's clock): iat 60 s back, exp 9 minutes after iat."""
    issued_at = int(now) - APP_JWT_BACKDATE
    return {"iat": issued_at, "exp": issued_at + APP_JWT_LIFETIME, "iss": str(app_id)}


def is_jwt_clock_refusal(status, body):
    """GitHub refused a JWT because of its ``iat`` or ``exp`` (the clocks disagree), not its signature."""
    message = body.get("message", "") if isinstance(body, dict) else str(body or "")
    return status == 401 and any(claim in message.lower() for claim in JWT_CLOCK_CLAIMS)


def server_time(headers):
    """GitHub's clock from a response's ``Date`` header, as epoch seconds; None when absent or unreadable."""
    try:
        return email.utils.parsedate_to_datetime(headers.get("date", "")).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def error_message(body, status):
    """GitHub's ``message``, or a sentence naming the status."""
    message = body.get("message", "") if isinstance(body, dict) else ""
    return message or f"GitHub answered {status}"
