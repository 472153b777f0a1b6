"""HTTP content coding and conditional requests for relayed GitHub bodies (RFC 9110)."""

import re

from django.utils.http import parse_etags

# Django's GZipMiddleware test (the gzip coding named, as a word), without regard to case as
# RFC 9110 reads content codings; a quick "no" before any parsing.
_ACCEPTS_GZIP = re.compile(r"\bgzip\b", re.IGNORECASE)


def accepts_gzip(request):
    """Accept-Encoding lists the gzip coding with a quality above 0 (RFC 9110, 12.5.3)."""
    accepted = request.META.get("HTTP_ACCEPT_ENCODING", "")
    if not _ACCEPTS_GZIP.search(accepted):  # the common answers, without parsing
        return False
    for coding in accepted.split(","):
        name, _, parameters = coding.partition(";")
        if name.strip().lower() == "gzip":
            return _quality(parameters) > 0
    return False


def _quality(parameters):
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0  # a malformed weight: do not guess in favour of compressing
    return 1.0


def weak_etag(etag):
    return etag if etag.startswith("W/") else f"W/{etag}"


def etag_matches(if_none_match, etag):
    """If-None-Match's weak comparison: ``*``, or any listed tag equal to ``etag`` ignoring W/."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == wanted for tag in parse_etags(if_none_match))
