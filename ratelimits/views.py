import time

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from githubfeatures.client import GitHubError, GitHubTimeout, GitHubUnavailable, RateLimited, get_client
from config.serializers import ErrorSerializer

from . import selectors, services
from .filters import GitHubRateLimitFilter
from .serializers import GitHubRateLimitSerializer, RateLimitHealthSerializer, RateLimitStatusSerializer

_GITHUB_ERRORS = {429: ErrorSerializer, 502: ErrorSerializer, 504: ErrorSerializer}


def github_error_response(exc):
    """Our answer when asking GitHub failed: the caller is not at fault, GitHub (or our token) is."""
    if isinstance(exc, RateLimited):
        return Response(
            {"detail": "GitHub rate limit reached; try again later."},
            status=429,
            headers={"Retry-After": str(max(int(exc.retry_after), 1))},
        )
    if isinstance(exc, GitHubTimeout):
        return Response({"detail": "GitHub did not answer in time."}, status=504)
    if isinstance(exc, GitHubUnavailable):
        return Response({"detail": "GitHub is unavailable."}, status=502)
    # 401 means our token was rejected: a server-side problem, not the caller's.
    return Response({"detail": f"GitHub refused the request ({exc.status})."}, status=502)


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
        states = selectors.latest_states(get_client().token_hash)
        if not states:
            raise exc
        return states, False, True


class RateLimitStatusView(APIView):
    @extend_schema(responses={200: RateLimitStatusSerializer, **_GITHUB_ERRORS}, tags=["rate-limits"])
    def get(self, request):
        """Latest rate-limit state per resource (from GET /rate_limit when the last is too old)."""
        try:
            states, refreshed, stale = _states_for_answer()
        except GitHubError as exc:
            return github_error_response(exc)
        data = {
            "resources": {resource: _state_data(state) for resource, state in sorted(states.items())},
            "refreshed": refreshed,
            "stale": stale,
        }
        return Response(RateLimitStatusSerializer(data).data)


class RateLimitTrackView(APIView):
    @extend_schema(request=None, responses={201: GitHubRateLimitSerializer(many=True), **_GITHUB_ERRORS}, tags=["rate-limits"])
    def post(self, request):
        """Ask GitHub now and store one snapshot row per resource."""
        try:
            rows = services.track_now()
        except GitHubError as exc:
            return github_error_response(exc)
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
        data = {"status": status, "threshold": threshold, "resources": report}
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
