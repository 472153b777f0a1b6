import time

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import GITHUB_ERROR_RESPONSES
from github.client import get_client
from github.credentials import credential_label
from github.errors import GitHubError

from . import selectors, services
from .filters import GitHubRateLimitFilter
from .serializers import GitHubRateLimitSerializer, RateLimitHealthSerializer, RateLimitStatusSerializer


def _state_data(state):
    return {
        "limit": state.limit,
        "remaining": state.remaining,
        "used": state.used,
        "reset": state.reset,
        "reset_at": state.reset_at,
        "observed_at": state.observed_datetime,
        "source": state.source,
    }


def _states_for_answer():
    """(states, refreshed, stale): refreshed from GitHub when older than the setting."""
    try:
        states, refreshed = services.refresh_if_older(settings.GITHUB_RATE_LIMIT_STATUS_MAX_AGE)
        return states, refreshed, False
    except GitHubError as exc:
        states = selectors.latest_states(get_client())
        if not states:
            raise exc
        return states, False, True


class RateLimitStatusView(APIView):
    @extend_schema(responses={200: RateLimitStatusSerializer, **GITHUB_ERROR_RESPONSES}, tags=["rate-limits"])
    def get(self, request):
        """Latest rate-limit state per resource (from GET /rate_limit when the last is too old)."""
        states, refreshed, stale = _states_for_answer()
        data = {
            "credential": credential_label(get_client().credential_key),
            "resources": {resource: _state_data(state) for resource, state in sorted(states.items())},
            "refreshed": refreshed,
            "stale": stale,
        }
        return Response(RateLimitStatusSerializer(data).data)


class RateLimitTrackView(APIView):
    @extend_schema(
        request=None,
        responses={201: GitHubRateLimitSerializer(many=True), **GITHUB_ERROR_RESPONSES},
        tags=["rate-limits"],
    )
    def post(self, request):
        """Ask GitHub now and store one snapshot row per resource."""
        rows = services.track_now()
        return Response(GitHubRateLimitSerializer(rows, many=True).data, status=201)


class RateLimitHealthView(APIView):
    @extend_schema(responses={200: RateLimitHealthSerializer, 503: RateLimitHealthSerializer}, tags=["rate-limits"])
    def get(self, request):
        """healthy / degraded (200) or exhausted (503), for a load balancer or an alert."""
        threshold = settings.GITHUB_RATE_LIMIT_HEALTH_THRESHOLD
        try:
            states, _, _ = _states_for_answer()
        except GitHubError:
            states = {}
        status, report = selectors.health_report(
            states, threshold=threshold, resources=settings.GITHUB_RATE_LIMIT_HEALTH_RESOURCES, now=time.time()
        )
        data = {
            "credential": credential_label(get_client().credential_key),
            "status": status,
            "threshold": threshold,
            "resources": report,
        }
        if not report:
            # Nothing known and GitHub not answering: not exhausted, but not known healthy either.
            data.update(status=selectors.DEGRADED, detail="No rate-limit state is known and GitHub could not be asked.")
        body = RateLimitHealthSerializer(data).data
        return Response(body, status=503 if data["status"] == selectors.EXHAUSTED else 200)


class RateLimitHistoryView(generics.ListAPIView):
    serializer_class = GitHubRateLimitSerializer
    filterset_class = GitHubRateLimitFilter

    def get_queryset(self):
        return selectors.history()

    @extend_schema(tags=["rate-limits"])
    def get(self, request, *args, **kwargs):
        """Stored snapshots, newest first; filter by resource, source and observed time."""
        return super().get(request, *args, **kwargs)
