"""The webhooks API: configs (with their hooks on GitHub) and stored events.

The receiver GitHub posts to is receiver.py.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import ReceivedCursorPagination
from api.serializers import GITHUB_ERROR_RESPONSES, ErrorSerializer

from . import hooks, processing, selectors
from .filters import WebhookEventFilter
from .models import WebhookEvent
from .serializers import WebhookConfigSerializer, WebhookEventDetailSerializer, WebhookEventSerializer


class WebhookConfigViewSet(viewsets.ModelViewSet):
    queryset = selectors.config_list()
    serializer_class = WebhookConfigSerializer
    filterset_fields = ["active", "content_type"]
    search_fields = ["repository"]

    @extend_schema(
        request=None,
        responses={200: WebhookConfigSerializer, 201: WebhookConfigSerializer, **GITHUB_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Create this config's hook on GitHub (201), or update it when hook_id is set (200)."""
        config = self.get_object()
        created = hooks.sync_hook(config)
        return Response(self.get_serializer(config).data, status=201 if created else 200)

    @extend_schema(request=None, responses={**GITHUB_ERROR_RESPONSES, 202: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Ask GitHub to send this hook a ping delivery."""
        hooks.ping_hook(self.get_object())
        return Response({"detail": "GitHub was asked to send a ping."}, status=202)


class WebhookEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = WebhookEventFilter
    # Millions of rows: keyset pages, newest first, without a count (README, "Stored events at scale").
    pagination_class = ReceivedCursorPagination

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
        processing.reprocess_events(WebhookEvent.objects.filter(pk=event.pk))
        event.refresh_from_db()
        return Response(WebhookEventSerializer(event).data, status=202)
