from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action

from . import selectors
from .serializers import IssueSerializer, PullRequestSerializer, PushSerializer, RepositorySerializer

STATE_PARAMETER = OpenApiParameter("state", str, enum=["open", "closed"])


class RepositoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Repository state built from webhook events (read-only)."""

    queryset = selectors.repository_list()
    serializer_class = RepositorySerializer
    filterset_fields = {"full_name": ["iexact"], "owner_login": ["iexact"], "private": ["exact"], "deleted": ["exact"]}

    def _page(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    @extend_schema(parameters=[STATE_PARAMETER], responses=PullRequestSerializer(many=True))
    @action(detail=True)
    def pulls(self, request, pk=None):
        state = request.query_params.get("state")
        return self._page(selectors.pull_requests_of(self.get_object(), state=state), PullRequestSerializer)

    @extend_schema(
        parameters=[STATE_PARAMETER, OpenApiParameter("include_deleted", bool)],
        responses=IssueSerializer(many=True),
    )
    @action(detail=True)
    def issues(self, request, pk=None):
        queryset = selectors.issues_of(
            self.get_object(),
            state=request.query_params.get("state"),
            include_deleted=request.query_params.get("include_deleted") in ("1", "true", "True"),
        )
        return self._page(queryset, IssueSerializer)

    @extend_schema(parameters=[OpenApiParameter("ref", str)], responses=PushSerializer(many=True))
    @action(detail=True)
    def pushes(self, request, pk=None):
        return self._page(selectors.pushes_of(self.get_object(), ref=request.query_params.get("ref")), PushSerializer)
