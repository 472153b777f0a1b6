"""HTTP content coding and conditional requests for relayed GitHub bodies (RFC 9110)."""

import re

from django.utils.http import parse_etags

# Django's GZipMiddleware test: the gzip coding named, as a word.
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def accepts_gzip(request):
    """The client names gzip in Accept-Encoding (without q=0: then it must not be sent)."""
    accepted = request.META.get("HTTP_ACCEPT_ENCODING", "")
    if not _ACCEPTS_GZIP.search(accepted):
        return False
    for coding in accepted.split(","):
        name, _, parameters = coding.strip().partition(";")
        if name.strip().lower() == "gzip":
            quality = parameters.replace(" ", "").lower()
            return quality not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return True


def weak_etag(etag):
    return etag if etag.startswith("W/") else f"W/{etag}"


def etag_matches(if_none_match, etag):
    """If-None-Match's weak comparison: ``*``, or any listed tag equal to ``etag`` ignoring W/."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == wanted for tag in parse_etags(if_none_match))
