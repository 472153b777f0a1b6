from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView


from . import selectors, services
from .filters import WebhookEventFilter
from .models import WebhookConfig, WebhookEvent
from api.serializers import ErrorSerializer

from .serializers import (
    DeliveryAcceptedSerializer,
    WebhookConfigSerializer,
    WebhookEventDetailSerializer,
    WebhookEventSerializer,
)

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
            result = services.receive_delivery(
                content_length=request.META.get("CONTENT_LENGTH"),
                # HttpRequest.read(), not .body: .body applies DATA_UPLOAD_MAX_MEMORY_SIZE
                # (2.5 MB), which real pushes exceed; the service applies our own cap.
                read_body=request.read,
                content_type=request.META.get("CONTENT_TYPE", ""),
                headers=request.headers,
            )
        except services.DeliveryRejected as rejection:
            return _json({"detail": rejection.detail}, rejection.status_code)
        return _json(result.body, result.status_code)


class WebhookConfigViewSet(viewsets.ModelViewSet):
    queryset = selectors.config_list()
    serializer_class = WebhookConfigSerializer
    filterset_fields = ["active", "content_type"]
    search_fields = ["repository"]

    def handle_exception(self, exc):
        if isinstance(exc, services.OrganizationHookUnsupported):
            return Response(
                {"detail": "Organization-level configs are not managed on GitHub by this service."}, status=400
            )
        if isinstance(exc, services.HookNotSynced):
            return Response({"detail": "This config has no GitHub hook yet: POST …/sync first."}, status=409)
        return super().handle_exception(exc)

    @extend_schema(request=None, responses={200: WebhookConfigSerializer, 201: WebhookConfigSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Create this config's hook on GitHub (201), or update it when hook_id is set (200)."""
        config = self.get_object()
        created = services.sync_hook(config)
        return Response(self.get_serializer(config).data, status=201 if created else 200)

    @extend_schema(request=None, responses={202: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Ask GitHub to send this hook a ping delivery."""
        services.ping_hook(self.get_object())
        return Response({"detail": "GitHub was asked to send a ping."}, status=202)


class WebhookEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = WebhookEventFilter

    def get_queryset(self):
        if self.action == "list":
            return selectors.event_list()
        return selectors.event_detail_list()

    def get_serializer_class(self):
        return WebhookEventSerializer if self.action == "list" else WebhookEventDetailSerializer

    @extend_schema(request=None, responses={202: WebhookEventSerializer})
    @action(detail=True, methods=["post"])
    def reprocess(self, request, pk=None):
        """Run the event through its handlers again (they are idempotent)."""
        event = self.get_object()
        services.reprocess_events(WebhookEvent.objects.filter(pk=event.pk))
        event.refresh_from_db()
        return Response(WebhookEventSerializer(event).data, status=202)
