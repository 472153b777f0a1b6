"""
One error shape for the whole API: a JSON object with a human ``detail``.

DRF already answers ``{"detail": ...}`` for most errors; validation errors
are the exception (a field -> messages map), so they are wrapped here and the
field map moves to ``errors``. A GitHub error raised by any view becomes its
answer here, the same under every path (``github_error_response``). Django-level
400/403/404/500 pages are JSON too, so an API client never has to parse HTML.
"""

import math

from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from github.app import AppKeyError
from github.errors import GitHubError, GitHubTimeout, GitHubUnavailable, InstallationUnavailable, RateLimited


class ApplicationError(Exception):
    """A rule of the service refused what was asked: the API answers ``status_code`` with ``detail``.

    Services raise subclasses (no HTTP or DRF in them); this module's handler
    turns them into answers, so no view maps its own errors.
    """

    status_code = 400
    detail = "The request cannot be done."

    def __init__(self, detail=None):
        if detail is not None:
            self.detail = detail
        super().__init__(self.detail)


# GitHub refusals passed on with GitHub's status: what the caller asked for is what GitHub refused.
PASSED_ON_STATUSES = (403, 404, 409, 410, 422)
# Every status a GitHub error can become; documented on each operation that calls GitHub.
GITHUB_ERROR_STATUSES = (400, *PASSED_ON_STATUSES, 429, 502, 504)


def _first_message(detail):
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def github_error_response(exc):
    """The answer for an error of the GitHub client: ``{"detail", "github_status", ...}``, never a 500."""
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
    elif isinstance(exc, InstallationUnavailable):
        status = exc.status  # 404 not installed, 403 suspended: nothing was asked of GitHub
    elif exc.status == 401:
        # Our credentials, not the caller's: a gateway problem for the operator to fix.
        status = 502
        body["detail"] = (
            "GitHub rejected this service's credentials; the operator must check GITHUB_TOKEN "
            "(or, as a GitHub App, GITHUB_APP_ID and its key)."
        )
    elif exc.status in PASSED_ON_STATUSES:
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


def exception_handler(exc, context):
    if isinstance(exc, GitHubError):
        return github_error_response(exc)
    if isinstance(exc, AppKeyError):
        # The operator's configuration, not the caller's request; the message names the cause, never the key.
        return Response({"detail": f"The service's GitHub App is misconfigured: {exc}."}, status=502)
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.detail}, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError) and not (
        isinstance(response.data, dict) and set(response.data) == {"detail"}
    ):
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    return response


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)


def page_not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)
