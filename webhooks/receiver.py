"""The receiver GitHub posts deliveries to (POST /api/v1/webhooks/github).

On the request path: this module and what it imports load neither Celery nor
the GitHub client.
"""

from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.views import APIView

from api.serializers import ErrorSerializer

from . import intake
from .serializers import DeliveryAcceptedSerializer

_HEADER_PARAMETERS = [
    OpenApiParameter("X-GitHub-Event", str, OpenApiParameter.HEADER, required=True),
    OpenApiParameter("X-GitHub-Delivery", str, OpenApiParameter.HEADER, required=True),
    OpenApiParameter(
        "X-Hub-Signature-256",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description="sha256= followed by the hex HMAC-SHA256 of the raw body, keyed with the hook's secret.",
    ),
    OpenApiParameter("X-GitHub-Hook-ID", str, OpenApiParameter.HEADER),
    OpenApiParameter("X-GitHub-Hook-Installation-Target-Type", str, OpenApiParameter.HEADER),
    OpenApiParameter("X-GitHub-Hook-Installation-Target-ID", str, OpenApiParameter.HEADER),
]


def _json(data, status):
    # Compact, like the DRF answers of every other endpoint.
    return JsonResponse(data, status=status, json_dumps_params={"separators": (",", ":")})


class GitHubWebhookView(APIView):
    """The receiver GitHub posts deliveries to. Its signature is its only authentication."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    # The raw bytes are read here: the signature covers them exactly as sent.
    parser_classes = []

    def dispatch(self, request, *args, **kwargs):
        # The receiver takes no DRF authentication, parsing or negotiation, so
        # POST skips DRF's request wrapping (a measurable share of the hot
        # path); other methods get DRF's usual JSON 405.
        if request.method == "POST":
            return self.post(request)
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        operation_id="receive_github_webhook",
        summary="Receive a GitHub webhook delivery",
        parameters=_HEADER_PARAMETERS,
        request={"application/json": OpenApiTypes.OBJECT, "application/x-www-form-urlencoded": OpenApiTypes.OBJECT},
        responses={
            202: DeliveryAcceptedSerializer,
            200: DeliveryAcceptedSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
            503: ErrorSerializer,
        },
        tags=["webhooks"],
    )
    def post(self, request):
        """Plain Django request in, JsonResponse out (see dispatch)."""
        try:
            result = intake.receive_delivery(
                content_length=request.META.get("CONTENT_LENGTH"),
                # HttpRequest.read(), not .body: .body applies DATA_UPLOAD_MAX_MEMORY_SIZE
                # (2.5 MB), which real pushes exceed; intake applies our own cap.
                read_body=request.read,
                content_type=request.META.get("CONTENT_TYPE", ""),
                headers=request.headers,
            )
        except intake.DeliveryRejected as rejection:
            return _json({"detail": rejection.detail}, rejection.status_code)
        return _json(result.body, result.status_code)
