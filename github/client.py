"""The one GitHub REST client of the service.

Every feature asks GitHub through ``get_client()``. The client spends as
little of the credential's rate limit as it can and never hammers GitHub:
transient failures are retried (``transport``), known and secondary limits
are respected and writes spaced (``throttling``), the x-ratelimit-* headers
of every response go to the rate-limit store, and ``cached_get`` keeps
bodies with their ETag / Last-Modified, revalidates expired entries with a
conditional request (a 304 is free) and serves an expired entry, marked
stale, when GitHub is unreachable or rate limited (``cache``).

Endpoints are given as templates (``/repos/{owner}/{repo}/labels/{name}``):
path values are URL-encoded here, and the template, never the URL, is what
metrics and logs see. The client takes who it is (``credentials``) and where
rate-limit state lives (``rate_limits``) as arguments; ``from_settings``
builds them from ``GITHUB_TOKEN`` and ``GITHUB_RATE_LIMIT_STORE``.
"""

import logging
import threading
import time
from contextlib import nullcontext
from functools import partial
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from . import cache, metrics
from .credentials import TokenCredentials, credential_for
from .errors import GitHubError, GitHubUnavailable, RateLimited
from .ratelimit_store import MemoryRateLimitStore
from .resources import ttl_for
from .responses import HIT, MISS, REVALIDATED, STALE, ApiResponse, CachedResponse
from .sansio import MUTATING_METHODS, error_message, rate_limit_resource, rate_limit_state, rate_limit_states
from .throttling import Throttle
from .transport import Transport, response_body, response_headers

logger = logging.getLogger(__name__)

# Retries of a 401 a credential says it mended (App JWT clock, installation token replication lag).
MAX_401_RETRIES = 3


class GitHubClient:
    def __init__(
        self,
        *,
        credentials=None,
        rate_limits=None,
        base_url="https://api.github.com",
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
        self.credentials = credentials if credentials is not None else TokenCredentials()
        self.rate_limits = rate_limits if rate_limits is not None else MemoryRateLimitStore()
        self.base_url = base_url.rstrip("/")
        self.rate_limit_max_retries = rate_limit_max_retries
        self.max_rate_limit_wait = max_rate_limit_wait
        # Injectable so tests can record waits instead of spending them.
        self.clock = clock
        self.transport = Transport(
            user_agent=user_agent,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            pool_size=pool_size,
            retry_attempts=retry_attempts,
            retry_backoff_initial=retry_backoff_initial,
            retry_backoff_max=retry_backoff_max,
            retry_jitter=retry_jitter,
            retry_max_total_wait=retry_max_total_wait,
            sleep=sleep,
        )
        self.throttle = Throttle(
            rate_limits=self.rate_limits,
            clock=clock,
            sleep=sleep,
            max_rate_limit_wait=max_rate_limit_wait,
            secondary_min_wait=secondary_min_wait,
            mutation_min_interval=mutation_min_interval,
            mutation_lock_timeout=mutation_lock_timeout,
        )

    @classmethod
    def from_settings(cls, **overrides):
        store = getattr(settings, "GITHUB_RATE_LIMIT_STORE", "")
        # The service's choice of credential per call (App installations, else GITHUB_TOKEN).
        provider = getattr(settings, "GITHUB_CREDENTIALS", "")
        if "credentials" not in overrides:
            overrides["credentials"] = (
                import_string(provider)() if provider else TokenCredentials(settings.GITHUB_TOKEN)
            )
        options = {
            "rate_limits": import_string(store)() if store else MemoryRateLimitStore(),
            "base_url": settings.GITHUB_API_URL,
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

    @property
    def default_credential(self):
        """The credential GET /rate_limit goes with when none is named (the token, or whom the App's router picks)."""
        return credential_for(self.credentials, "/rate_limit", {})

    @property
    def credential_key(self):
        """The key of ``default_credential``: its states are kept under it, never a secret."""
        return self.default_credential.key

    def close(self):
        self.transport.close()

    # --- Public API ------------------------------------------------------------

    def request(
        self, method, template, *, params=None, json=None, headers=None, url=None, wait=True, credential=None, **path
    ):
        """Send one request; return an ApiResponse for 2xx/3xx, raise GitHubError otherwise.

        ``template`` names the endpoint (its ``{placeholders}`` are filled from
        ``path``, URL-encoded). ``url`` instead sends to an absolute URL GitHub
        gave us (a Link), which must be under the base URL. ``wait=False``
        raises RateLimited at once instead of sleeping through a rate limit.
        ``credential`` sends as that credential instead of the one ``credentials`` picks.
        """
        method = method.upper()
        target = self._url(template, url, path)
        resource = rate_limit_resource(template)
        credential = credential or credential_for(self.credentials, template, path)
        mutation = self.throttle.mutation_slot(credential.key) if method in MUTATING_METHODS else nullcontext()
        with mutation:
            response = self._send(
                credential, method, template, target, resource, wait, params=params, json=json, headers=headers
            )
        body = response_body(response)
        if response.status_code >= 400:
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind=str(response.status_code)).inc()
            raise GitHubError(
                error_message(body, response.status_code),
                status=response.status_code,
                body=body,
                headers=response_headers(response),
            )
        if method in MUTATING_METHODS and "owner" in path and "repo" in path:
            # A write changes what the repository's cached reads would answer.
            cache.invalidate_repository(path["owner"], path["repo"])
        return ApiResponse(
            response.status_code,
            response_headers(response),
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

        ``resource`` (a name of ``resources.RESOURCES``) picks the TTL and the
        key namespace ``gh:{owner}/{repo}:{resource}:{hash}``.
        """
        owner, repo = path["owner"], path["repo"]
        params = self._cache_params(params)
        key = self._cache_key(template, resource, params, path)
        entry = cache.get_entry(key)
        if entry is not None and entry.is_fresh(self.clock()):
            metrics.CACHE_HITS.labels(resource=resource).inc()
            return CachedResponse.from_entry(entry, HIT, None)
        metrics.CACHE_MISSES.labels(resource=resource).inc()

        conditional = entry.conditional_headers() if entry is not None else {}
        try:
            # With something to serve, do not sleep through a rate limit.
            response = self.request("GET", template, params=params, headers=conditional, wait=entry is None, **path)
        except (GitHubUnavailable, RateLimited) as exc:
            if entry is None:
                raise
            metrics.CACHE_STALE_SERVED.labels(resource=resource).inc()
            logger.warning("serving stale %s for %s: %s", resource, template, exc.__class__.__name__)
            stale = CachedResponse.from_entry(entry, STALE, exc.status)
            stale.error = exc
            return stale
        except GitHubError as exc:
            if exc.status in (404, 410) and entry is not None:
                cache.delete(key)
            raise

        ttl = ttl_for(resource) if ttl is None else ttl
        now = self.clock()
        if response.status == 304 and entry is not None:
            metrics.GITHUB_API_NOT_MODIFIED.labels(resource=resource).inc()
            entry.fetched_at = now
            entry.fresh_until = now + ttl
            entry.etag = response.headers.get("etag") or entry.etag
            cache.store_entry(key, entry, owner, repo)
            return CachedResponse.from_entry(entry, REVALIDATED, 304)

        entry = cache.CacheEntry.from_response(response, now=now, ttl=ttl)
        if response.status == 200:
            cache.store_entry(key, entry, owner, repo)
        fetched = CachedResponse.from_entry(entry, MISS, response.status)
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
        return CachedResponse.from_entry(entry, HIT, None)

    @staticmethod
    def count_hit(resource):
        metrics.CACHE_HITS.labels(resource=resource).inc()

    def invalidate(self, owner, repo):
        """Drop the repository's cached reads; returns how many entries went."""
        return cache.invalidate_repository(owner, repo)

    def rate_limit_states(self, credential=None):
        """GET /rate_limit (free of the limit) as RateLimitState per resource, of ``credential`` or the default."""
        response = self.get("/rate_limit", credential=credential)
        return rate_limit_states(response.body, self.clock())

    # --- Internals ---------------------------------------------------------------

    @staticmethod
    def _cache_params(params):
        return {name: value for name, value in (params or {}).items() if value not in (None, "")}

    def _cache_key(self, template, resource, params, path):
        scope = [template, path, params, self.credentials.key]
        return cache.cache_key(path["owner"], path["repo"], resource, scope)

    def _url(self, template, url, path):
        if url is not None:
            base = urlsplit(self.base_url)
            target = urlsplit(url)
            # The credential goes with every request: only ever to our GitHub.
            if (target.scheme, target.netloc) != (base.scheme, base.netloc) or not target.path.startswith(base.path):
                raise ValueError("refusing to follow a URL outside GITHUB_API_URL")
            return url
        return self.base_url + template.format(**{name: quote(str(value), safe="") for name, value in path.items()})

    def _send(self, credential, method, template, url, resource, wait, *, headers=None, **kwargs):
        """Send, waiting out rate limits within the bound; the final response (any status)."""
        key = credential.key
        just_waited = False
        for attempt in range(self.rate_limit_max_retries + 1):
            # Right after sleeping through a limit ourselves, the recorded state
            # still describes the limit we just waited out.
            if resource is not None and not just_waited:
                self.throttle.respect_known_limits(key, resource, wait)
            response = self._send_authorized(credential, method, template, url, headers, **kwargs)
            body = response_body(response) if response.status_code in (403, 429) else None
            decision = self.throttle.decide(key, response.status_code, response_headers(response), body)
            if decision is None:
                return response  # not a limit (a 403 may be a permission refusal)
            can_wait = wait and decision.delay <= self.max_rate_limit_wait and attempt < self.rate_limit_max_retries
            if not can_wait:
                metrics.GITHUB_API_RATE_LIMITED.labels(kind=decision.kind).inc()
                logger.warning(
                    "GitHub %s rate limit on %s %s; retry in %ss", decision.kind, method, template, decision.delay
                )
                raise RateLimited(
                    (body.get("message") if isinstance(body, dict) else "") or f"GitHub {decision.kind} rate limit",
                    kind=decision.kind,
                    resource=resource or "core",
                    reset_at=decision.reset_at,
                    retry_after=decision.delay,
                    status=response.status_code,
                    body=body,
                    headers=response_headers(response),
                )
            self.throttle.wait(decision.kind, decision.delay)
            just_waited = True
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_authorized(self, credential, method, template, url, headers, **kwargs):
        """Send with the credential's current Authorization; again while the credential can mend a 401.

        An App JWT refused for its ``iat``/``exp`` (this host's clock is off) is
        re-issued on GitHub's clock; a just-created installation token refused
        by GitHub's replication lag is retried with backoff. A credential
        without ``mend_401`` (a personal token) gets its 401 as it is.
        """
        mend_401 = getattr(credential, "mend_401", None)
        observe = partial(self._observe, credential)
        for attempt in range(MAX_401_RETRIES + 1):
            authorization = credential.authorization()
            sent_headers = {"Authorization": authorization, **(headers or {})} if authorization else headers
            response = self.transport.send(method, template, url, headers=sent_headers, observe=observe, **kwargs)
            if response.status_code != 401 or mend_401 is None or attempt == MAX_401_RETRIES:
                return response
            if not mend_401(response_headers(response), response_body(response)):
                return response
            logger.warning("GitHub refused the %s credential (401); retrying", credential.kind)
        return response

    def _observe(self, credential, template, response):
        """Every response's x-ratelimit-* headers go to the rate-limit store, under the credential that spent them."""
        state = rate_limit_state(response_headers(response), self.clock())
        if state is not None:
            # GET /rate_limit is history itself (track_now); its headers only update the latest state.
            self.rate_limits.record(credential.key, state, history=rate_limit_resource(template) is not None)


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
        reset = getattr(client.rate_limits, "reset", None)
        if reset is not None:
            reset()
    cache.reset()


@receiver(setting_changed)
def _settings_changed(setting, **kwargs):
    if setting.startswith("GITHUB_") or setting == "CACHES":
        reset_client()
