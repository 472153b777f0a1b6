"""
One error shape for the whole API: a JSON object with a human ``detail``.

DRF already answers ``{"detail": ...}`` for most errors; validation errors
are the exception (a field -> messages map), so they are wrapped here and the
field map moves to ``errors``. Django-level 400/403/404/500 pages are JSON too,
so an API client never has to parse HTML.
"""

from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _first_message(detail):
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc, context):
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
