"""The ETag cache under the GitHub client: entries, keys, invalidation, Redis-down fallback.

An entry keeps a GitHub body with its ``ETag`` / ``Last-Modified``. It is
*fresh* for the resource's TTL; after that it is kept (``GITHUB_CACHE_STALE_TTL``)
so the client can revalidate it with a conditional request (a 304 is free of
the primary rate limit) or serve it, marked stale, when GitHub cannot answer.

Keys are ``gh:{owner}/{repo}:{resource}:{hash}``, so one repository's entries
can be dropped by pattern (django-redis ``delete_pattern``); backends without
patterns (local memory) keep a per-repository index of keys instead.

Every cache call goes through ``_call``: when the cache fails, the client works
uncached for ``GITHUB_CACHE_RETRY_SECONDS`` instead of paying a Redis timeout
on every read; the outage is logged once and every skipped call is counted.
"""

import gzip
import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import asdict, dataclass, field, fields

from django.conf import settings
from django.core.cache import caches

from . import metrics

logger = logging.getLogger(__name__)

# Response headers worth keeping with a body: what a 200 from the cache must still carry.
KEPT_HEADERS = ("etag", "last-modified", "link", "content-type")
# Bumped when the stored form of an entry changes (3: JSON bodies stored gzip-compressed, see pack()).
ENTRY_FORMAT = 3
# zlib's default: a 180 KB page of pull requests in a few milliseconds, once per fetch, to ~1/8.
GZIP_LEVEL = 6
GZIP_MAGIC = b"\x1f\x8b"
# Index of keys per repository, for backends without delete_pattern; bounded.
MAX_INDEXED_KEYS = 1000
_GLOB_SPECIALS = re.compile(r"([*?\[\]\\])")


@dataclass
class CacheEntry:
    body: object = None
    # The JSON body as GitHub sent it, gzip-compressed; when set, ``body`` is None.
    gzipped: bytes | None = None
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    # Epoch seconds: when GitHub last sent or confirmed the body, and until when it is fresh.
    fetched_at: float = 0.0
    fresh_until: float = 0.0

    def is_fresh(self, now):
        return now < self.fresh_until

    def conditional_headers(self):
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_response(cls, response, *, now, ttl):
        """The entry for an ApiResponse fetched at ``now``, fresh for ``ttl`` seconds."""
        json_content = response.content
        return cls(
            # A JSON body is stored compressed, once, in the form it is served in.
            body=None if json_content is not None else response.body,
            gzipped=compress(json_content) if json_content is not None else None,
            status=response.status,
            headers={name: response.headers[name] for name in KEPT_HEADERS if name in response.headers},
            etag=response.headers.get("etag", ""),
            last_modified=response.headers.get("last-modified", ""),
            fetched_at=now,
            fresh_until=now + ttl,
        )

    @classmethod
    def from_dict(cls, data):
        try:
            return cls(**data)
        except TypeError:
            # An entry written by another version of this code: treat it as absent.
            return None

    def pack(self):
        """What the cache stores: a dict, or for a JSON body the metadata as JSON, a newline, the gzip bytes.

        The body is stored once, in the form most clients are served: a HIT
        for a client that accepts gzip sends these bytes as they are, and
        nothing on the read path grows with the body's size.
        """
        if self.gzipped is None:
            return self.to_dict()
        metadata = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("body", "gzipped")}
        # json.dumps escapes newlines, so the first newline ends the metadata.
        return json.dumps(metadata, separators=(",", ":")).encode() + b"\n" + self.gzipped

    @classmethod
    def unpack(cls, value):
        """The entry from what ``pack`` stored; None for anything else."""
        if isinstance(value, dict):
            return cls.from_dict(value)
        if not isinstance(value, bytes):
            return None
        metadata, separator, gzipped = value.partition(b"\n")
        try:
            data = json.loads(metadata) if separator else None
        except ValueError:
            return None
        if not (isinstance(data, dict) and gzipped.startswith(GZIP_MAGIC)):
            return None
        return cls.from_dict({**data, "gzipped": gzipped})


def compress(content):
    """gzip bytes of ``content``; mtime 0 so equal bodies compress to equal bytes."""
    return gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)


# --- Keys ------------------------------------------------------------------


def repository_prefix(owner, repo):
    # GitHub names are case-insensitive; one repository must map to one prefix.
    return f"gh:{owner.lower()}/{repo.lower()}:"


def cache_key(owner, repo, resource, scope):
    """``gh:{owner}/{repo}:{resource}:{hash}``; ``scope`` is anything JSON that tells queries apart."""
    # ENTRY_FORMAT in the hash: a process of another version (rolling deploy,
    # rollback) reads and writes its own keys, never an entry it cannot decode.
    digest = hashlib.sha256(json.dumps([ENTRY_FORMAT, scope], sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"{repository_prefix(owner, repo)}{resource}:{digest}"


# --- Guarded cache access -------------------------------------------------------

_outage = {"until": 0.0, "down": False}
_outage_lock = threading.Lock()


def _backend():
    cache = caches["default"]
    # django-redis with IGNORE_EXCEPTIONS answers "miss" when Redis is down;
    # its client raises instead, which is how an outage is noticed and counted.
    if hasattr(cache, "delete_pattern") and hasattr(cache, "client"):
        return cache.client
    return cache


def supports_patterns():
    return hasattr(caches["default"], "delete_pattern")


def is_available():
    return time.monotonic() >= _outage["until"]


def reset():
    """Forget a recorded outage (tests, and a fresh client)."""
    with _outage_lock:
        _outage["until"] = 0.0
        _outage["down"] = False


def _call(operation, method, *args, default=None, **kwargs):
    if not is_available():
        metrics.CACHE_FALLBACKS.labels(operation=operation).inc()
        return default
    try:
        result = getattr(_backend(), method)(*args, **kwargs)
    except ValueError:
        # A value that does not decode (written by hand, or by another
        # version under a key it shares with us) is a miss, not an outage.
        return default
    except Exception as exc:
        note_failure(operation, exc)
        return default
    if _outage["down"]:
        with _outage_lock:
            was_down, _outage["down"] = _outage["down"], False
        if was_down:
            logger.warning("cache available again; GitHub reads are cached")
    return result


def get(key):
    """A dict stored under ``key``, or None (absent, or the cache is down)."""
    value = _call("get", "get", key)
    return value if isinstance(value, dict) else None


def set(key, value, timeout):
    """Store a dict (or a packed entry's bytes): falsy values would read back as misses."""
    return _call("set", "set", key, value, timeout) is not False


def add(key, value, timeout):
    """True if stored because absent, False if present, None if the cache is down."""
    return _call("set", "add", key, value, timeout)


def delete(key):
    return bool(_call("delete", "delete", key, default=0))


def lock(key, timeout):
    """A cross-process lock (django-redis), or None when the backend has none or is down."""
    cache = caches["default"]
    if not hasattr(cache, "lock") or not is_available():
        return None
    return _call("lock", "lock", key, timeout=timeout, blocking_timeout=timeout)


def note_failure(operation, exc):
    """Record a cache failure: count it, log the outage once, skip the cache for a while."""
    metrics.CACHE_FALLBACKS.labels(operation=operation).inc()
    with _outage_lock:
        _outage["until"] = time.monotonic() + settings.GITHUB_CACHE_RETRY_SECONDS
        first = not _outage["down"]
        _outage["down"] = True
    if first:
        logger.warning(
            "cache unavailable (%s during %s); GitHub reads are uncached for the next %ss",
            exc.__class__.__name__,
            operation,
            settings.GITHUB_CACHE_RETRY_SECONDS,
        )


# --- Entries ----------------------------------------------------------------


def get_entry(key):
    value = _call("get", "get", key)
    return CacheEntry.unpack(value) if value is not None else None


def stored_key(key):
    """The key as the backend stores it (prefix and version added), for reading it raw elsewhere."""
    return caches["default"].make_key(key)


def entry_from_stored(value):
    """The entry from a value read raw under ``stored_key``; None when absent or undecodable."""
    if value is None:
        return None
    backend = _backend()
    try:
        value = backend.decode(value) if hasattr(backend, "decode") else value
    except ValueError:
        return None
    return CacheEntry.unpack(value)


def store_entry(key, entry, owner, repo):
    timeout = max(settings.GITHUB_CACHE_STALE_TTL, int(entry.fresh_until - entry.fetched_at) + 1)
    stored = set(key, entry.pack(), timeout)
    if stored and not supports_patterns():
        _index_key(owner, repo, key, timeout)
    return stored


def _index_key(owner, repo, key, timeout):
    index_key = repository_prefix(owner, repo) + "_index"
    index = get(index_key) or {"keys": []}
    if key in index["keys"]:
        return
    # Oldest first; beyond the cap the oldest entries just age out by timeout.
    index["keys"] = (index["keys"] + [key])[-MAX_INDEXED_KEYS:]
    set(index_key, index, timeout)


def invalidate_repository(owner, repo, resources=None):
    """Drop one repository's cached entries (only ``resources`` when given); returns how many."""
    prefix = repository_prefix(owner, repo)
    prefixes = [prefix + f"{resource}:" for resource in resources] if resources else [prefix]
    if supports_patterns():
        return sum(
            int(_call("delete", "delete_pattern", _GLOB_SPECIALS.sub(r"\\\1", wanted) + "*", default=0) or 0)
            for wanted in prefixes
        )
    index_key = prefix + "_index"
    index = get(index_key)
    if index is None:
        return 0
    doomed = [key for key in index["keys"] if key.startswith(tuple(prefixes))]
    deleted = sum(1 for key in doomed if delete(key))
    kept = [key for key in index["keys"] if key not in doomed]
    if kept:
        set(index_key, {"keys": kept}, settings.GITHUB_CACHE_STALE_TTL)
    else:
        delete(index_key)
    return deleted
