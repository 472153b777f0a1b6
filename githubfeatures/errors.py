"""GitHub client errors as API answers: always JSON ``{"detail", "github_status"}``, never a 500."""

import math

from rest_framework.exceptions import APIException
from rest_framework.response import Response

from .client import GitHubError, GitHubTimeout, GitHubUnavailable, RateLimited


class InvalidRepositoryName(APIException):
    status_code = 400
    default_detail = "Invalid owner or repository name (GitHub's allowed characters only)."
    default_code = "invalid_repository"


def github_error_response(exc):
    """The response for a client error; None when ``exc`` is not one."""
    if not isinstance(exc, GitHubError):
        return None
    body = {"detail": exc.message, "github_status": exc.status}
    headers = {}
    if isinstance(exc, RateLimited):
        status = 429
        retry_after = max(1, math.ceil(exc.retry_after or 0))
        headers["Retry-After"] = str(retry_after)
        body["detail"] = f"GitHub's {exc.kind} rate limit is exhausted; retry in {retry_after} s."
    elif isinstance(exc, GitHubTimeout):
        status = 504
        body["detail"] = "GitHub did not answer in time."
    elif isinstance(exc, GitHubUnavailable):
        status = 502
        body["detail"] = "GitHub is unreachable or failing; try again later."
    elif exc.status == 401:
        # Our credentials, not the caller's: a gateway problem for the operator to fix.
        status = 502
        body["detail"] = "GitHub rejected this service's token; the operator must check GITHUB_TOKEN."
    elif exc.status in (403, 404, 409, 410, 422):
        status = exc.status
        if exc.status == 422:
            body["errors"] = exc.errors
    elif exc.status is not None and 400 <= exc.status < 500:
        status = 400
    else:
        status = 502
    if exc.documentation_url:
        body["documentation_url"] = exc.documentation_url
    return Response(body, status=status, headers=headers)


class GitHubErrorsMixin:
    """For DRF views that call GitHub: map client errors to documented statuses."""

    def handle_exception(self, exc):
        return github_error_response(exc) or super().handle_exception(exc)
