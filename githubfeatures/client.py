"""The one GitHub REST client of the service.

Every feature asks GitHub through ``get_client()``. The client spends as
little of the token's rate limit as it can and never hammers GitHub:

- one pooled ``requests.Session``; connection errors and 500/502/503/504 are
  retried with exponential backoff and jitter (tenacity), bounded in attempts
  and total wait; other 4xx are not retried;
- the x-ratelimit-* headers of every response are recorded (ratelimits app);
  a resource known to be exhausted is not asked again before its reset: the
  client waits if the reset is within GITHUB_MAX_RATE_LIMIT_WAIT, otherwise it
  raises ``RateLimited`` without sending anything;
- secondary limits (retry-after, GitHub's message, or 429) are waited out,
  exponentially longer on repeats, within the same bound; mutating requests
  go one at a time per token across processes, at least
  GITHUB_MUTATION_MIN_INTERVAL apart;
- ``cached_get`` keeps bodies with their ETag / Last-Modified, revalidates
  expired entries with a conditional request (a 304 is free) and serves an
  expired entry, marked stale, when GitHub is unreachable or rate limited.

Endpoints are given as templates (``/repos/{owner}/{repo}/labels/{name}``):
path values are URL-encoded here, and the template, never the URL, is what
metrics and logs see. The token is never logged; only its SHA-256 is stored.
"""

import email.utils
import json
import logging
import math
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from requests.adapters import HTTPAdapter
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from ratelimits import services as ratelimit_services

from . import github_cache, metrics

logger = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Safe to send twice when a response was lost (read timeout).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SECONDARY_LIMIT_MESSAGES = ("secondary rate limit", "abuse detection", "abuse rate limit")

HIT = "HIT"
MISS = "MISS"
REVALIDATED = "REVALIDATED"
STALE = "STALE"


# --- Results and errors ----------------------------------------------------------


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


@dataclass
class ApiResponse:
    """One answer from GitHub: status, headers (lower-case names) and parsed body.

    ``content`` is the JSON body's bytes as GitHub sent them (None for other
    bodies), so it can be relayed without decoding and encoding it again.
    """

    status: int
    headers: dict
    body: object
    content: bytes | None = field(default=None, repr=False)

    @property
    def links(self):
        return parse_link_header(self.headers.get("link", ""))


@dataclass
class CachedResponse(ApiResponse):
    """The answer of ``cached_get``.

    ``cache`` says where it came from: HIT (fresh entry, GitHub not asked),
    MISS (fetched), REVALIDATED (GitHub said 304, entry refreshed) or STALE
    (expired entry served because GitHub failed; ``error`` says why).
    ``status`` is the status to relay (the stored 200); ``upstream_status`` is
    what GitHub answered this time (None when it was not asked or did not answer).
    """

    cache: str = MISS
    upstream_status: int | None = None
    etag: str = ""
    fetched_at: float = 0.0
    error: Exception | None = field(default=None, repr=False)
    # The JSON body gzip-compressed, as the cache stores it (None for other bodies).
    gzipped: bytes | None = field(default=None, repr=False)

    # ``content`` and ``body`` are made from ``gzipped`` on first use: a HIT
    # relayed to a client that accepts gzip needs neither.
    @property
    def content(self):
        if self._content is _NOT_DECODED:
            self._content = zlib.decompress(self.gzipped, wbits=GZIP_WBITS)
        return self._content

    @content.setter
    def content(self, value):
        self._content = value

    @property
    def body(self):
        if self._body is _NOT_DECODED:
            self._body = json.loads(self.content)
        return self._body

    @body.setter
    def body(self, value):
        self._body = value

    @property
    def stale(self):
        return self.cache == STALE


_NOT_DECODED = object()
# zlib reads the gzip container itself with these window bits, a little faster than gzip.decompress.
GZIP_WBITS = zlib.MAX_WBITS | 16


class GitHubError(Exception):
    """GitHub refused a request: ``status`` and ``body`` are GitHub's (``errors`` for 422)."""

    def __init__(self, message, *, status=None, body=None, headers=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.headers = headers or {}

    @property
    def errors(self):
        return self.body.get("errors", []) if isinstance(self.body, dict) else []

    @property
    def documentation_url(self):
        return self.body.get("documentation_url", "") if isinstance(self.body, dict) else ""


class RateLimited(GitHubError):
    """A rate limit stopped the request. ``retry_after`` is whole seconds until it is worth retrying.

    ``kind`` is "primary" (``reset_at`` is GitHub's x-ratelimit-reset) or
    "secondary". ``sent`` is False when the client refused without asking GitHub.
    """

    def __init__(self, message, *, kind, resource="core", reset_at=None, retry_after=0, sent=True, **kwargs):
        super().__init__(message, **kwargs)
        self.kind = kind
        self.resource = resource
        self.reset_at = reset_at
        self.retry_after = retry_after
        self.sent = sent


class GitHubUnavailable(GitHubError):
    """GitHub could not be reached or kept answering 5xx after the retries (``status`` None or 5xx)."""


class GitHubTimeout(GitHubUnavailable):
    """GitHub did not answer within the timeouts, after the retries."""


class _ServerError(Exception):
    """A retryable 5xx, carried through tenacity."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


# --- The client ----------------------------------------------------------------


def _rate_limit_resource(template):
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


def _retry_after_seconds(value, now):
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


def _parse_body(response):
    if not response.content:
        return None
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


class GitHubClient:
    def __init__(
        self,
        *,
        base_url="https://api.github.com",
        token="",
        user_agent="ghsvc-github-client/1.0",
        connect_timeout=3.05,
        read_timeout=15.0,
        pool_size=10,
        retry_attempts=4,
        retry_backoff_initial=0.5,
        retry_backoff_max=8.0,
        retry_jitter=0.5,
        retry_max_total_wait=20.0,
        max_rate_limit_wait=60,
        rate_limit_max_retries=3,
        secondary_min_wait=60,
        mutation_min_interval=1.0,
        mutation_lock_timeout=60.0,
        sleep=time.sleep,
        clock=time.time,
    ):
        self.base_url = base_url.rstrip("/")
        self.token_hash = ratelimit_services.token_hash(token)
        self.timeout = (connect_timeout, read_timeout)
        self.retry_attempts = max(1, retry_attempts)
        self.retry_backoff_initial = retry_backoff_initial
        self.retry_backoff_max = retry_backoff_max
        self.retry_jitter = retry_jitter
        self.retry_max_total_wait = retry_max_total_wait
        self.max_rate_limit_wait = max_rate_limit_wait
        self.rate_limit_max_retries = rate_limit_max_retries
        self.secondary_min_wait = secondary_min_wait
        self.mutation_min_interval = mutation_min_interval
        self.mutation_lock_timeout = mutation_lock_timeout
        # Injectable so tests can record waits instead of spending them.
        self.sleep = sleep
        self.clock = clock
        self._secondary_streak = 0
        self._mutation_lock = threading.Lock()
        self._last_mutation = 0.0

        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": user_agent,
            }
        )
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def from_settings(cls, **overrides):
        options = {
            "base_url": settings.GITHUB_API_URL,
            "token": settings.GITHUB_TOKEN,
            "user_agent": settings.GITHUB_USER_AGENT,
            "connect_timeout": settings.GITHUB_CONNECT_TIMEOUT,
            "read_timeout": settings.GITHUB_READ_TIMEOUT,
            "pool_size": settings.GITHUB_POOL_SIZE,
            "retry_attempts": settings.GITHUB_RETRY_ATTEMPTS,
            "retry_backoff_initial": settings.GITHUB_RETRY_BACKOFF_INITIAL,
            "retry_backoff_max": settings.GITHUB_RETRY_BACKOFF_MAX,
            "retry_jitter": settings.GITHUB_RETRY_JITTER,
            "retry_max_total_wait": settings.GITHUB_RETRY_MAX_TOTAL_WAIT,
            "max_rate_limit_wait": settings.GITHUB_MAX_RATE_LIMIT_WAIT,
            "rate_limit_max_retries": settings.GITHUB_RATE_LIMIT_MAX_RETRIES,
            "secondary_min_wait": settings.GITHUB_SECONDARY_RATE_LIMIT_MIN_WAIT,
            "mutation_min_interval": settings.GITHUB_MUTATION_MIN_INTERVAL,
            "mutation_lock_timeout": settings.GITHUB_MUTATION_LOCK_TIMEOUT,
        }
        options.update(overrides)
        return cls(**options)

    def __repr__(self):
        # Never the token.
        return f"<GitHubClient {self.base_url}>"

    def close(self):
        self.session.close()

    # --- Public API ------------------------------------------------------------

    def request(self, method, template, *, params=None, json=None, headers=None, url=None, wait=True, **path):
        """Send one request; return an ApiResponse for 2xx/3xx, raise GitHubError otherwise.

        ``template`` names the endpoint (its ``{placeholders}`` are filled from
        ``path``, URL-encoded). ``url`` instead sends to an absolute URL GitHub
        gave us (a Link), which must be under the base URL. ``wait=False``
        raises RateLimited at once instead of sleeping through a rate limit.
        """
        method = method.upper()
        target = self._url(template, url, path)
        resource = _rate_limit_resource(template)
        mutation = self._mutation_slot() if method in MUTATING_METHODS else _nullcontext()
        with mutation:
            response = self._send(method, template, target, resource, wait, params=params, json=json, headers=headers)
        if response.status_code >= 400:
            body = _parse_body(response)
            message = body.get("message", "") if isinstance(body, dict) else ""
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind=str(response.status_code)).inc()
            raise GitHubError(
                message or f"GitHub answered {response.status_code}",
                status=response.status_code,
                body=body,
                headers=dict(response.headers.lower_items()),
            )
        if method in MUTATING_METHODS and "owner" in path and "repo" in path:
            # A write changes what the repository's cached reads would answer.
            github_cache.invalidate_repository(path["owner"], path["repo"])
        body = _parse_body(response)
        return ApiResponse(
            response.status_code,
            dict(response.headers.lower_items()),
            body,
            content=response.content if body is not None and not isinstance(body, str) else None,
        )

    def get(self, template, **kwargs):
        return self.request("GET", template, **kwargs)

    def post(self, template, **kwargs):
        return self.request("POST", template, **kwargs)

    def patch(self, template, **kwargs):
        return self.request("PATCH", template, **kwargs)

    def put(self, template, **kwargs):
        return self.request("PUT", template, **kwargs)

    def delete(self, template, **kwargs):
        return self.request("DELETE", template, **kwargs)

    def cached_get(self, template, *, resource, params=None, ttl=None, **path):
        """GET through the cache; ``path`` must include ``owner`` and ``repo``.

        ``resource`` (info, pulls, issues, labels, workflows, ...) picks the TTL
        and the key namespace ``gh:{owner}/{repo}:{resource}:{hash}``.
        """
        owner, repo = path["owner"], path["repo"]
        params = self._cache_params(params)
        key = self._cache_key(template, resource, params, path)
        now = self.clock()
        entry = github_cache.get_entry(key)
        if entry is not None and entry.is_fresh(now):
            metrics.CACHE_HITS.labels(resource=resource).inc()
            return self._cached_response(entry, HIT, None)
        metrics.CACHE_MISSES.labels(resource=resource).inc()

        conditional = entry.conditional_headers() if entry is not None else {}
        try:
            # With something to serve, do not sleep through a rate limit.
            response = self.request(
                "GET", template, params=params, headers=conditional, wait=entry is None, **path
            )
        except (GitHubUnavailable, RateLimited) as exc:
            if entry is None:
                raise
            metrics.CACHE_STALE_SERVED.labels(resource=resource).inc()
            logger.warning(
                "serving stale %s for %s: %s", resource, template, exc.__class__.__name__
            )
            stale = self._cached_response(entry, STALE, exc.status)
            stale.error = exc
            return stale
        except GitHubError as exc:
            if exc.status in (404, 410) and entry is not None:
                github_cache.delete(key)
            raise

        ttl = github_cache.ttl_for(resource) if ttl is None else ttl
        now = self.clock()
        if response.status == 304 and entry is not None:
            metrics.GITHUB_API_NOT_MODIFIED.labels(resource=resource).inc()
            entry.fetched_at = now
            entry.fresh_until = now + ttl
            entry.etag = response.headers.get("etag") or entry.etag
            github_cache.store_entry(key, entry, owner, repo)
            return self._cached_response(entry, REVALIDATED, 304)

        entry = github_cache.CacheEntry(
            # A JSON body is stored compressed, once, in the form it is served in.
            body=None if response.content is not None else response.body,
            gzipped=github_cache.compress(response.content) if response.content is not None else None,
            status=response.status,
            headers={name: response.headers[name] for name in github_cache.KEPT_HEADERS if name in response.headers},
            etag=response.headers.get("etag", ""),
            last_modified=response.headers.get("last-modified", ""),
            fetched_at=now,
            fresh_until=now + ttl,
        )
        if response.status == 200:
            github_cache.store_entry(key, entry, owner, repo)
        fetched = self._cached_response(entry, MISS, response.status)
        if response.content is not None:
            fetched.content = response.content  # at hand: no need to decompress it again
        return fetched

    def read_key(self, template, *, resource, params=None, **path):
        """The cache key ``cached_get`` reads for these arguments."""
        return self._cache_key(template, resource, self._cache_params(params), path)

    def fresh_hit(self, entry):
        """What ``cached_get`` answers from ``entry`` when it is fresh, else None; nothing is counted.

        For a caller that read the entry itself (``read_key``) and counts the
        HIT (``count_hit``) only once it serves it; a None falls back to
        ``cached_get``, which counts what it does.
        """
        if entry is None or not entry.is_fresh(self.clock()):
            return None
        return self._cached_response(entry, HIT, None)

    @staticmethod
    def count_hit(resource):
        metrics.CACHE_HITS.labels(resource=resource).inc()

    @staticmethod
    def _cache_params(params):
        return {name: value for name, value in (params or {}).items() if value not in (None, "")}

    def _cache_key(self, template, resource, params, path):
        return github_cache.cache_key(path["owner"], path["repo"], resource, [template, path, params, self.token_hash])

    def invalidate(self, owner, repo):
        """Drop the repository's cached reads; returns how many entries went."""
        return github_cache.invalidate_repository(owner, repo)

    def rate_limit_states(self):
        """GET /rate_limit (free of the limit) as RateLimitState per resource."""
        response = self.get("/rate_limit")
        return ratelimit_services.parse_rate_limit_body(response.body, self.clock())

    # --- Internals ---------------------------------------------------------------

    @staticmethod
    def _cached_response(entry, cache, upstream_status):
        return CachedResponse(
            status=entry.status,
            headers=dict(entry.headers),
            body=entry.body if entry.gzipped is None else _NOT_DECODED,
            content=None if entry.gzipped is None else _NOT_DECODED,
            gzipped=entry.gzipped,
            cache=cache,
            upstream_status=upstream_status,
            etag=entry.etag,
            fetched_at=entry.fetched_at,
        )

    def _url(self, template, url, path):
        if url is not None:
            base = urlsplit(self.base_url)
            target = urlsplit(url)
            # The token goes with every request: only ever to our GitHub.
            if (target.scheme, target.netloc) != (base.scheme, base.netloc) or not target.path.startswith(
                base.path
            ):
                raise ValueError("refusing to follow a URL outside GITHUB_API_URL")
            return url
        return self.base_url + template.format(**{name: quote(str(value), safe="") for name, value in path.items()})

    def _send(self, method, template, url, resource, wait, **kwargs):
        """Send, waiting out rate limits within the bound; the final response (any status)."""
        just_waited = False
        for attempt in range(self.rate_limit_max_retries + 1):
            # Right after sleeping through a limit ourselves, the recorded state
            # still describes the limit we just waited out.
            if resource is not None and not just_waited:
                self._respect_known_limits(resource, wait)
            response = self._send_with_retries(method, template, url, **kwargs)
            limit = self._rate_limit_of(response, resource)
            if limit is None:
                self._secondary_streak = 0
                return response
            kind, delay, reset_at = limit
            can_wait = wait and delay <= self.max_rate_limit_wait and attempt < self.rate_limit_max_retries
            if not can_wait:
                metrics.GITHUB_API_RATE_LIMITED.labels(kind=kind).inc()
                logger.warning("GitHub %s rate limit on %s %s; retry in %ss", kind, method, template, delay)
                body = _parse_body(response)
                raise RateLimited(
                    (body.get("message") if isinstance(body, dict) else "") or f"GitHub {kind} rate limit",
                    kind=kind,
                    resource=resource or "core",
                    reset_at=reset_at,
                    retry_after=delay,
                    status=response.status_code,
                    body=body,
                    headers=dict(response.headers.lower_items()),
                )
            self._wait(kind, delay)
            just_waited = True
        raise AssertionError("unreachable")  # pragma: no cover

    def _respect_known_limits(self, resource, wait):
        """Do not ask GitHub for what it already said it will refuse."""
        now = self.clock()
        state = ratelimit_services.current_state(self.token_hash, resource)
        if state is not None and state.is_exhausted(now):
            self._wait_or_refuse("primary", resource, state.reset - now, state.reset_at, wait)
        blocked = github_cache.get(self._secondary_key())
        until = blocked["until"] if blocked else 0
        if until > now:
            self._wait_or_refuse("secondary", resource, until - now, None, wait)

    def _wait_or_refuse(self, kind, resource, seconds, reset_at, wait):
        delay = max(0, math.ceil(seconds))
        if wait and delay <= self.max_rate_limit_wait:
            self._wait(kind, seconds)
            return
        metrics.GITHUB_API_RATE_LIMITED.labels(kind=kind).inc()
        raise RateLimited(
            f"GitHub {kind} rate limit for {resource}; not sent",
            kind=kind,
            resource=resource,
            reset_at=reset_at,
            retry_after=delay,
            sent=False,
            status=429 if kind == "secondary" else 403,
        )

    def _rate_limit_of(self, response, resource):
        """(kind, seconds to wait, reset datetime) if the response is a rate limit, else None."""
        if response.status_code not in (403, 429):
            return None
        now = self.clock()
        headers = response.headers
        retry_after = _retry_after_seconds(headers.get("retry-after"), now)
        remaining = headers.get("x-ratelimit-remaining")
        if retry_after is None and remaining == "0":
            state = ratelimit_services.parse_headers(dict(headers.lower_items()), now)
            reset = state.reset if state is not None else now + 60
            return "primary", max(0, math.ceil(reset - now)), datetime.fromtimestamp(reset, tz=dt_timezone.utc)
        body = _parse_body(response)
        message = (body.get("message", "") if isinstance(body, dict) else str(body or "")).lower()
        is_secondary = (
            retry_after is not None
            or response.status_code == 429
            or any(text in message for text in SECONDARY_LIMIT_MESSAGES)
        )
        if not is_secondary:
            return None  # a permission 403
        # GitHub: honour retry-after, else wait at least a minute; longer on repeats.
        base = retry_after if retry_after is not None else self.secondary_min_wait
        delay = base * 2**self._secondary_streak
        self._secondary_streak += 1
        # Every process of this token holds back until then.
        github_cache.set(self._secondary_key(), {"until": now + delay}, max(1, math.ceil(delay)))
        return "secondary", delay, None

    def _secondary_key(self):
        return f"gh:secondary-limit:{self.token_hash}"

    def _wait(self, kind, seconds):
        seconds = max(0.0, seconds)
        metrics.GITHUB_API_RATE_LIMIT_WAITS.labels(kind=kind).inc()
        metrics.GITHUB_API_RATE_LIMIT_WAIT_SECONDS.labels(kind=kind).inc(seconds)
        logger.info("waiting %.1fs for a GitHub %s rate limit", seconds, kind)
        self.sleep(seconds)

    def _send_with_retries(self, method, template, url, **kwargs):
        retrying = Retrying(
            stop=stop_after_attempt(self.retry_attempts) | stop_after_delay(self.retry_max_total_wait),
            wait=wait_exponential_jitter(
                multiplier=self.retry_backoff_initial, max=self.retry_backoff_max, jitter=self.retry_jitter
            ),
            retry=retry_if_exception(lambda exc: _is_transient(method, exc)),
            sleep=self.sleep,
            before_sleep=_count_retry,
            reraise=True,
        )
        try:
            return retrying(self._send_once, method, template, url, **kwargs)
        except _ServerError as exc:
            response = exc.response
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind="server_error").inc()
            raise GitHubUnavailable(
                f"GitHub answered {response.status_code} after retries",
                status=response.status_code,
                body=_parse_body(response),
                headers=dict(response.headers.lower_items()),
            ) from None
        except requests.ConnectTimeout:
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind="connection").inc()
            raise GitHubUnavailable("GitHub could not be reached (connect timeout)") from None
        except requests.Timeout:
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind="timeout").inc()
            raise GitHubTimeout("GitHub did not answer in time") from None
        except requests.RequestException as exc:
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind="connection").inc()
            # The exception text can hold the URL; the class name is enough.
            raise GitHubUnavailable(f"GitHub could not be reached ({exc.__class__.__name__})") from None

    def _send_once(self, method, template, url, *, params=None, json=None, headers=None):
        started = time.perf_counter()
        status = "error"
        try:
            response = self.session.request(
                method, url, params=params, json=json, headers=headers, timeout=self.timeout
            )
            status = str(response.status_code)
        except requests.ConnectTimeout:
            status = "connection_error"
            raise
        except requests.Timeout:
            status = "timeout"
            raise
        except requests.RequestException:
            status = "connection_error"
            raise
        finally:
            metrics.GITHUB_API_REQUEST_DURATION.labels(method=method, endpoint=template).observe(
                time.perf_counter() - started
            )
            metrics.GITHUB_API_REQUESTS.labels(method=method, endpoint=template, status=status).inc()
        logger.debug("GitHub %s %s -> %s", method, template, status)
        state = ratelimit_services.parse_headers(dict(response.headers.lower_items()), self.clock())
        if state is not None:
            # GET /rate_limit is history itself (track_now); its headers only update the latest state.
            history = _rate_limit_resource(template) is not None
            ratelimit_services.record_state(self.token_hash, state, history=history)
        if response.status_code in RETRY_STATUSES:
            raise _ServerError(response)
        return response

    @contextmanager
    def _mutation_slot(self):
        """One mutating request at a time per token (all processes), spaced out.

        GitHub's best practices: "make requests for a single user or client ID
        serially" and "wait at least one second between each request" that
        creates, updates or deletes content.
        """
        redis_lock = github_cache.lock(f"gh:mutation-lock:{self.token_hash}", self.mutation_lock_timeout)
        acquired = False
        if redis_lock is not None:
            try:
                acquired = redis_lock.acquire()
            except Exception as exc:
                github_cache.note_failure("lock", exc)
                redis_lock = None
            else:
                if not acquired:
                    raise GitHubUnavailable("another process holds the GitHub write lock for too long")
        try:
            with self._mutation_lock:
                last = github_cache.get(self._mutation_key())
                last_at = max(self._last_mutation, last["at"] if last else 0.0)
                gap = last_at + self.mutation_min_interval - self.clock()
                if gap > 0:
                    self._wait("mutation_spacing", gap)
                try:
                    yield
                finally:
                    self._last_mutation = self.clock()
                    github_cache.set(
                        self._mutation_key(),
                        {"at": self._last_mutation},
                        max(1, math.ceil(self.mutation_min_interval) + 1),
                    )
        finally:
            if redis_lock is not None and acquired:
                try:
                    redis_lock.release()
                except Exception as exc:
                    # Expired or Redis gone: its timeout frees it anyway.
                    github_cache.note_failure("lock", exc)

    def _mutation_key(self):
        return f"gh:mutation-last:{self.token_hash}"


@contextmanager
def _nullcontext():
    yield


def _is_transient(method, exc):
    if isinstance(exc, _ServerError):
        return True
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.Timeout):
        # The request may have been applied; only resend what is safe to repeat.
        return method in IDEMPOTENT_METHODS
    return isinstance(exc, requests.ConnectionError)


def _count_retry(retry_state):
    exc = retry_state.outcome.exception()
    if isinstance(exc, _ServerError):
        reason = "server_error"
    elif isinstance(exc, requests.Timeout) and not isinstance(exc, requests.ConnectTimeout):
        reason = "timeout"
    else:
        reason = "connection"
    metrics.GITHUB_API_RETRIES.labels(reason=reason).inc()


# --- The shared instance ---------------------------------------------------------

_client = None
_client_lock = threading.Lock()


def get_client():
    """The process-wide client, built from settings on first use."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = GitHubClient.from_settings()
    return _client


def reset_client():
    """Drop the shared client (settings changed, tests); the next get_client() rebuilds it."""
    global _client
    with _client_lock:
        client, _client = _client, None
    if client is not None:
        client.close()
    github_cache.reset()
    ratelimit_services.reset_local_state()


@receiver(setting_changed)
def _settings_changed(setting, **kwargs):
    if setting.startswith("GITHUB_") or setting == "CACHES":
        reset_client()
