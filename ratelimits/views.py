import time

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import GITHUB_ERROR_RESPONSES
from github.client import get_client
from github.credentials import credential_label, credential_named
from github.errors import GitHubError

from . import selectors, services
from .filters import GitHubRateLimitFilter
from .serializers import (
    CredentialQuerySerializer,
    GitHubRateLimitSerializer,
    RateLimitHealthSerializer,
    RateLimitStatusSerializer,
)


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


def _credential(request):
    """The credential ``?credential=`` names (400 malformed, 404 not one of the service's), else the default."""
    query = CredentialQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    client = get_client()
    label = query.validated_data.get("credential")
    if label is None:
        return client.default_credential
    credential = credential_named(client.credentials, label)
    if credential is None:
        raise NotFound(f"This service has no GitHub credential {label}.")
    return credential


def _states_for_answer(credential):
    """(states, refreshed, stale) of ``credential``: refreshed from GitHub when older than the setting."""
    try:
        states, refreshed = services.refresh_if_older(settings.GITHUB_RATE_LIMIT_STATUS_MAX_AGE, credential=credential)
        return states, refreshed, False
    except GitHubError as exc:
        states = selectors.latest_states(get_client().rate_limits, credential.key)
        if not states:
            raise exc
        return states, False, True


class RateLimitStatusView(APIView):
    @extend_schema(
        parameters=[CredentialQuerySerializer],
        responses={200: RateLimitStatusSerializer, **GITHUB_ERROR_RESPONSES},
        tags=["rate-limits"],
    )
    def get(self, request):
        """Latest rate-limit state per resource of one credential (from GET /rate_limit when the last is too old)."""
        credential = _credential(request)
        states, refreshed, stale = _states_for_answer(credential)
        data = {
            "credential": credential_label(credential.key),
            "resources": {resource: _state_data(state) for resource, state in sorted(states.items())},
            "refreshed": refreshed,
            "stale": stale,
        }
        return Response(RateLimitStatusSerializer(data).data)


class RateLimitTrackView(APIView):
    @extend_schema(
        request=None,
        parameters=[CredentialQuerySerializer],
        responses={201: GitHubRateLimitSerializer(many=True), **GITHUB_ERROR_RESPONSES},
        tags=["rate-limits"],
    )
    def post(self, request):
        """Ask GitHub now and store one snapshot row per resource, for one credential."""
        rows = services.track_now(credential=_credential(request))
        return Response(GitHubRateLimitSerializer(rows, many=True).data, status=201)


class RateLimitHealthView(APIView):
    @extend_schema(
        parameters=[CredentialQuerySerializer],
        responses={200: RateLimitHealthSerializer, 503: RateLimitHealthSerializer},
        tags=["rate-limits"],
    )
    def get(self, request):
        """healthy / degraded (200) or exhausted (503) of one credential, for a load balancer or an alert.

        Only the credential asked about counts: one exhausted installation is not another's health.
        """
        credential = _credential(request)
        threshold = settings.GITHUB_RATE_LIMIT_HEALTH_THRESHOLD
        try:
            states, _, _ = _states_for_answer(credential)
        except GitHubError:
            states = {}
        status, report = selectors.health_report(
            states, threshold=threshold, resources=settings.GITHUB_RATE_LIMIT_HEALTH_RESOURCES, now=time.time()
        )
        data = {
            "credential": credential_label(credential.key),
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
