"""Prometheus metrics of the GitHub client and its cache.

Labels are bounded sets only: HTTP methods, endpoint *templates*
(``/repos/{owner}/{repo}/pulls``), status codes, resource names. Never a raw
URL, a repository name or a token: those would leak data and explode the
number of series.

Gauges declare a ``multiprocess_mode`` so they keep working when the service
runs under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set.
"""

from prometheus_client import Counter, Gauge, Histogram

from .resources import RESOURCES
from .sansio import PRIMARY, SECONDARY

# The client's own waits besides GitHub's limits (see throttling).
MUTATION_SPACING = "mutation_spacing"
# Why a request was sent again (transport); what a cache call was (cache).
RETRY_REASONS = ("connection", "timeout", "server_error")
CACHE_OPERATIONS = ("get", "set", "delete", "lock")

GITHUB_API_REQUESTS = Counter(
    "github_api_requests_total",
    "HTTP requests sent to the GitHub API, by method, endpoint template and status.",
    ["method", "endpoint", "status"],
)
GITHUB_API_REQUEST_DURATION = Histogram(
    "github_api_request_duration_seconds",
    "Duration of one HTTP exchange with the GitHub API.",
    ["method", "endpoint"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
GITHUB_API_ERRORS = Counter(
    "github_api_errors_total",
    "GitHub API calls that ended in an error for the caller, by kind.",
    ["endpoint", "kind"],
)
GITHUB_API_RATE_LIMIT_REMAINING = Gauge(
    "github_api_rate_limit_remaining",
    "x-ratelimit-remaining last seen, per rate-limit resource and credential kind (token, app, installation:"
    " the installation answered last; per installation see /api/v1/rate-limits/health?credential=).",
    ["resource", "credential_kind"],
    multiprocess_mode="mostrecent",
)
GITHUB_API_RATE_LIMIT_LIMIT = Gauge(
    "github_api_rate_limit_limit",
    "x-ratelimit-limit last seen, per rate-limit resource and credential kind.",
    ["resource", "credential_kind"],
    multiprocess_mode="mostrecent",
)
GITHUB_API_NOT_MODIFIED = Counter(
    "github_api_not_modified_total",
    "Conditional requests answered 304 Not Modified (free of the primary rate limit).",
    ["resource"],
)
GITHUB_API_RETRIES = Counter(
    "github_api_retries_total",
    "Retries of a GitHub request after a transient failure.",
    ["reason"],
)
GITHUB_API_RATE_LIMIT_WAITS = Counter(
    "github_api_rate_limit_waits_total",
    "Times the client slept because of a rate limit, by kind (primary, secondary, mutation_spacing).",
    ["kind"],
)
GITHUB_API_RATE_LIMIT_WAIT_SECONDS = Counter(
    "github_api_rate_limit_wait_seconds_total",
    "Seconds spent sleeping because of rate limits.",
    ["kind"],
)
GITHUB_API_RATE_LIMITED = Counter(
    "github_api_rate_limited_total",
    "Requests refused fast because of a rate limit (sent or not), by kind.",
    ["kind"],
)
CACHE_HITS = Counter("cache_hits_total", "GitHub reads answered from a fresh cache entry.", ["resource"])
CACHE_MISSES = Counter(
    "cache_misses_total", "GitHub reads without a fresh cache entry (fetched or revalidated).", ["resource"]
)
CACHE_STALE_SERVED = Counter(
    "cache_stale_served_total",
    "Expired cache entries served because GitHub was unreachable or rate limited.",
    ["resource"],
)
CACHE_FALLBACKS = Counter(
    "cache_fallbacks_total",
    "Cache operations skipped or failed because the cache (Redis) was unavailable.",
    ["operation"],
)


def initialise():
    """Create the known label sets at 0, so rates and alerts work before the first event."""
    for resource in RESOURCES:
        CACHE_HITS.labels(resource=resource)
        CACHE_MISSES.labels(resource=resource)
        CACHE_STALE_SERVED.labels(resource=resource)
        GITHUB_API_NOT_MODIFIED.labels(resource=resource)
    for reason in RETRY_REASONS:
        GITHUB_API_RETRIES.labels(reason=reason)
    for kind in (PRIMARY, SECONDARY, MUTATION_SPACING):
        GITHUB_API_RATE_LIMIT_WAITS.labels(kind=kind)
        GITHUB_API_RATE_LIMIT_WAIT_SECONDS.labels(kind=kind)
    for kind in (PRIMARY, SECONDARY):
        GITHUB_API_RATE_LIMITED.labels(kind=kind)
    for operation in CACHE_OPERATIONS:
        CACHE_FALLBACKS.labels(operation=operation)


initialise()
