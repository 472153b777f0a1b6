"""What a GitHub call returns: ``ApiResponse``, and ``CachedResponse`` for cached reads."""

import json
import zlib
from dataclasses import dataclass, field

from .sansio import parse_link_header

# Where a cached read's answer came from (the ``cache`` of CachedResponse, the X-Cache header).
HIT = "HIT"
MISS = "MISS"
REVALIDATED = "REVALIDATED"
STALE = "STALE"

# zlib reads the gzip container itself with these window bits, a little faster than gzip.decompress.
GZIP_WBITS = zlib.MAX_WBITS | 16
# Marks ``content`` / ``body`` still to be made from ``gzipped``.
NOT_DECODED = object()


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
        if self._content is NOT_DECODED:
            self._content = zlib.decompress(self.gzipped, wbits=GZIP_WBITS)
        return self._content

    @content.setter
    def content(self, value):
        self._content = value

    @property
    def body(self):
        if self._body is NOT_DECODED:
            self._body = json.loads(self.content)
        return self._body

    @body.setter
    def body(self, value):
        self._body = value

    @property
    def stale(self):
        return self.cache == STALE

    @classmethod
    def from_entry(cls, entry, cache, upstream_status):
        return cls(
            status=entry.status,
            headers=dict(entry.headers),
            body=entry.body if entry.gzipped is None else NOT_DECODED,
            content=None if entry.gzipped is None else NOT_DECODED,
            gzipped=entry.gzipped,
            cache=cache,
            upstream_status=upstream_status,
            etag=entry.etag,
            fetched_at=entry.fetched_at,
        )
