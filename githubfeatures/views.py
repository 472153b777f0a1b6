from urllib.parse import urlsplit

from django.http import HttpResponse

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.serializers import ErrorSerializer

from . import selectors, services
from .errors import GitHubErrorsMixin, InvalidRepositoryName
from .names import is_valid_repository
from .serializers import (
    CacheInvalidatedSerializer,
    IssueSerializer,
    IssuesQuerySerializer,
    LabelCreateSerializer,
    LabelUpdateSerializer,
    PageQuerySerializer,
    PullRequestSerializer,
    PullsQuerySerializer,
    PushSerializer,
    RepositorySerializer,
    RepositorySettingsSerializer,
)

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


# --- The GitHub features API: /api/v1/github/{owner}/{repo}/... -------------------


def _link_to_us(request, github_url):
    """A GitHub pagination URL, as the same page of our own endpoint."""
    query = urlsplit(github_url).query
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


def github_response(request, result):
    """GitHub's body as GitHub returned it, with X-Cache and a Link to our own URLs."""
    headers = {"X-Cache": result.cache}
    if result.links:
        headers["Link"] = ", ".join(f'<{_link_to_us(request, url)}>; rel="{rel}"' for rel, url in result.links.items())
    if result.etag:
        headers["ETag"] = result.etag
    if result.text is not None:
        # GitHub's JSON text, relayed without decoding and encoding it again.
        return HttpResponse(result.text, status=result.status, headers=headers, content_type="application/json")
    return Response(result.body, status=result.status, headers=headers)


REPOSITORY_PARAMETERS = [
    OpenApiParameter("owner", str, OpenApiParameter.PATH),
    OpenApiParameter("repo", str, OpenApiParameter.PATH),
]
CACHE_HEADER = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="GitHub's JSON body as GitHub returned it. Header X-Cache: HIT, MISS, REVALIDATED or STALE; "
    "Link rewritten to this API when GitHub paginates.",
)
ERROR_RESPONSES = {status: ErrorSerializer for status in (400, 403, 404, 422, 429, 502, 504)}


class GitHubRepositoryView(GitHubErrorsMixin, APIView):
    """Base of the features API: validates owner/repo before anything goes upstream."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_valid_repository(kwargs["owner"], kwargs["repo"]):
            raise InvalidRepositoryName()

    def query(self, serializer_class):
        if not self.request.META.get("QUERY_STRING"):
            return {}  # nothing to validate: skip parsing and building a serializer on the hot path
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _cached_read_view(resource, query_serializer, summary):
    class CachedReadView(GitHubRepositoryView):
        @extend_schema(
            summary=summary,
            parameters=[*REPOSITORY_PARAMETERS, *([query_serializer] if query_serializer else [])],
            responses={200: CACHE_HEADER, **ERROR_RESPONSES},
            tags=["github"],
        )
        def get(self, request, owner, repo):
            params = self.query(query_serializer) if query_serializer else None
            return github_response(request, selectors.github_read(owner, repo, resource, params))

    CachedReadView.__name__ = f"{resource.title()}View"
    CachedReadView.__qualname__ = CachedReadView.__name__
    return CachedReadView


InfoView = _cached_read_view("info", None, "Repository information (cached)")
PullsView = _cached_read_view("pulls", PullsQuerySerializer, "Pull requests (cached)")
IssuesView = _cached_read_view("issues", IssuesQuerySerializer, "Issues (cached)")
WorkflowsView = _cached_read_view("workflows", PageQuerySerializer, "Actions workflows (cached)")


class LabelsView(GitHubRepositoryView):
    @extend_schema(
        summary="Labels (cached)",
        parameters=[*REPOSITORY_PARAMETERS, PageQuerySerializer],
        responses={200: CACHE_HEADER, **ERROR_RESPONSES},
        tags=["github"],
    )
    def get(self, request, owner, repo):
        return github_response(request, selectors.github_read(owner, repo, "labels", self.query(PageQuerySerializer)))

    @extend_schema(
        summary="Create a label",
        parameters=REPOSITORY_PARAMETERS,
        request=LabelCreateSerializer,
        responses={201: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
        tags=["github"],
    )
    def post(self, request, owner, repo):
        result = services.create_label(owner, repo, **self.body(LabelCreateSerializer))
        return Response(result.body, status=201)


class LabelView(GitHubRepositoryView):
    @extend_schema(
        summary="Update a label (name URL-encoded: spaces, emoji and '/' work)",
        parameters=[*REPOSITORY_PARAMETERS, OpenApiParameter("name", str, OpenApiParameter.PATH)],
        request=LabelUpdateSerializer,
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
        tags=["github"],
    )
    def patch(self, request, owner, repo, name):
        result = services.update_label(owner, repo, name, self.body(LabelUpdateSerializer))
        return Response(result.body, status=200)

    @extend_schema(
        summary="Delete a label",
        parameters=[*REPOSITORY_PARAMETERS, OpenApiParameter("name", str, OpenApiParameter.PATH)],
        request=None,
        responses={204: None, **ERROR_RESPONSES},
        tags=["github"],
    )
    def delete(self, request, owner, repo, name):
        services.delete_label(owner, repo, name)
        return Response(status=204)


class SettingsView(GitHubRepositoryView):
    @extend_schema(
        summary="Change repository settings (allow-listed fields only)",
        parameters=REPOSITORY_PARAMETERS,
        request=RepositorySettingsSerializer,
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
        tags=["github"],
    )
    def patch(self, request, owner, repo):
        result = services.update_repository_settings(owner, repo, self.body(RepositorySettingsSerializer))
        return Response(result.body, status=200)


class CacheInvalidateView(GitHubRepositoryView):
    @extend_schema(
        summary="Drop every cached GitHub read of the repository",
        parameters=REPOSITORY_PARAMETERS,
        request=None,
        responses={200: CacheInvalidatedSerializer, 400: ErrorSerializer},
        tags=["github"],
    )
    def post(self, request, owner, repo):
        return Response({"deleted": services.invalidate_cache(owner, repo)})
