from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.serializers import ErrorSerializer

from . import selectors, services
from .filters import MessageFilter
from .models import Message
from .serializers import (
    MessageSerializer,
    ReplayedSerializer,
    ReplaySerializer,
    SecretSerializer,
    SubscriptionCreatedSerializer,
    SubscriptionSerializer,
)


@extend_schema(tags=["subscriptions"])
class SubscriptionViewSet(viewsets.ModelViewSet):
    """The team's endpoints that processed GitHub events are pushed to (Standard Webhooks)."""

    queryset = selectors.subscription_list()
    serializer_class = SubscriptionSerializer
    filterset_fields = ["active", "ordered"]

    @extend_schema(responses={201: SubscriptionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        """Create a subscription; the answer holds its secret, the only time it is shown."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, secret = services.create_subscription(**serializer.validated_data)
        subscription.secret = secret
        return Response(SubscriptionCreatedSerializer(subscription).data, status=201)

    def perform_update(self, serializer):
        services.update_subscription(serializer.instance, **serializer.validated_data)

    @extend_schema(request=None, responses={200: SecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret, shown once; the previous one signs too (a second signature) for 24 hours."""
        subscription = self.get_object()
        secret = services.rotate_secret(subscription)
        return Response(
            SecretSerializer(
                {"secret": secret, "previous_secret_expires_at": subscription.previous_secret_expires_at}
            ).data
        )

    @extend_schema(
        responses={200: MessageSerializer(many=True)},
        parameters=[
            OpenApiParameter("status", enum=Message.Status.values),
            OpenApiParameter("created_after", OpenApiTypes.DATETIME),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME),
        ],
    )
    @action(detail=True, methods=["get"], serializer_class=MessageSerializer)
    def messages(self, request, pk=None):
        """The messages sent to this subscription, newest first, each with its attempts."""
        found = MessageFilter(request.query_params, queryset=selectors.messages_of(self.get_object()))
        if not found.is_valid():
            raise ValidationError(found.errors)
        page = self.paginate_queryset(found.qs)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(request=ReplaySerializer, responses={202: ReplayedSerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Send stored events received between since and until again: the failed ones, or all it wants."""
        subscription = self.get_object()
        query = ReplaySerializer(data=request.data)
        query.is_valid(raise_exception=True)
        count = services.replay(subscription, **query.validated_data)
        return Response({"replayed": count}, status=202)

    @extend_schema(request=None, responses={202: MessageSerializer, 404: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path=r"messages/(?P<message_id>[0-9]+)/retry")
    def retry(self, request, pk=None, message_id=None):
        """Send one message again, from the start of the retry schedule (same webhook-id)."""
        message = get_object_or_404(Message, pk=message_id, subscription=self.get_object())
        services.retry_message(message)
        message.refresh_from_db()
        return Response(MessageSerializer(message).data, status=202)

    @extend_schema(request=None, responses={202: MessageSerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Send a test message (type "ping") now."""
        message = services.ping(self.get_object())
        return Response(MessageSerializer(message).data, status=202)
