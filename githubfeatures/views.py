"""The GitHub proxy API: /api/v1/github/{owner}/{repo}/..."""

from urllib.parse import urlsplit

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import HashedTokenAuthentication, recent_tokens
from api.serializers import GITHUB_ERROR_RESPONSES, ErrorSerializer
from github.app import AppKeyError
from github.names import is_valid_repository

from . import selectors, services
from .conditional import accepts_gzip, etag_matches, weak_etag
from .serializers import (
    CacheInvalidatedSerializer,
    IssuesQuerySerializer,
    LabelCreateSerializer,
    LabelUpdateSerializer,
    PageQuerySerializer,
    PullsQuerySerializer,
    RepositorySettingsSerializer,
)


def _link_to_us(request, github_url):
    """A GitHub pagination URL, as the same page of our own endpoint."""
    query = urlsplit(github_url).query
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


def github_response(request, result):
    """GitHub's body as GitHub returned it, with X-Cache and a Link to our own URLs.

    Served as the cache stores it: gzip-compressed to clients that accept
    gzip, decompressed for the others; a client's ``If-None-Match`` that names
    the entry's ETag gets a 304, as GitHub answers us.
    """
    headers = {"X-Cache": result.cache, "Vary": "Accept-Encoding"}
    if result.links:
        headers["Link"] = ", ".join(f'<{_link_to_us(request, url)}>; rel="{rel}"' for rel, url in result.links.items())
    if result.gzipped is None:
        if result.etag:
            headers["ETag"] = result.etag
        return Response(result.body, status=result.status, headers=headers)
    compressed = accepts_gzip(request)
    if result.etag:
        # The compressed bytes differ from the identity ones: only a weak ETag may name both.
        headers["ETag"] = weak_etag(result.etag) if compressed else result.etag
        if result.status == 200 and etag_matches(request.META.get("HTTP_IF_NONE_MATCH"), result.etag):
            return HttpResponseNotModified(headers=headers)
    if compressed:
        headers["Content-Encoding"] = "gzip"
        return HttpResponse(result.gzipped, status=result.status, headers=headers, content_type="application/json")
    return HttpResponse(result.content, status=result.status, headers=headers, content_type="application/json")


REPOSITORY_PARAMETERS = [
    OpenApiParameter("owner", str, OpenApiParameter.PATH),
    OpenApiParameter("repo", str, OpenApiParameter.PATH),
]
CACHE_HEADER = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="GitHub's JSON body as GitHub returned it. Header X-Cache: HIT, MISS, REVALIDATED or STALE; "
    "Link rewritten to this API when GitHub paginates.",
)


class InvalidRepositoryName(exceptions.APIException):
    status_code = 400
    default_detail = "Invalid owner or repository name (GitHub's allowed characters only)."
    default_code = "invalid_repository"


class GitHubRepositoryView(APIView):
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


class CachedReadMixin:
    """Fresh cached pages answered without DRF's dispatch; everything else goes through it.

    A cached read is most of the features API's traffic, and DRF's request
    wrapping, negotiation and response finalizing cost more than the rest of
    a HIT. When the answer can only be the fresh entry's — a GET without a
    query string, with a valid staff token, a valid repository name and no
    stated media preference — it is served here with the same authentication
    class, the same permission and the same response headers; anything else
    (no token or a bad one, a session, a query, a miss, a stale entry, an
    error) goes through DRF as before and answers exactly as it did.
    """

    cached_resource = None

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET":
            response = self.cached_hit_response(request, kwargs["owner"], kwargs["repo"])
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def cached_hit_response(self, request, owner, repo):
        meta = request.META
        if (
            meta.get("QUERY_STRING")
            or meta.get("HTTP_ACCEPT", "*/*") != "*/*"
            or not meta.get("HTTP_AUTHORIZATION")
            or list(self.permission_classes) != [permissions.IsAdminUser]
            # DRF tries the authentication classes in order: only our token class first answers alike.
            or not issubclass(self.authentication_classes[0], HashedTokenAuthentication)
            or not is_valid_repository(owner, repo)
        ):
            return None
        # The token check's generation and the cached page, in one round trip to Redis.
        try:
            generation, result = selectors.github_fresh_hit_with_generation(
                owner, repo, self.cached_resource, recent_tokens.name
            )
        except AppKeyError:
            return None  # no client can be built: DRF's exception handler answers the 502

        try:
            authenticated = self.authentication_classes[0]().authenticate(request, generation)
        except exceptions.AuthenticationFailed:
            return None  # DRF answers the 401
        if authenticated is None or not authenticated[0].is_staff:
            return None  # DRF answers the 403
        if result is None or result.gzipped is None:
            return None  # not a stored JSON body: DRF renders it
        selectors.count_github_hit(self.cached_resource)
        response = github_response(request, result)
        # What APIView.finalize_response adds (Allow, and Vary: Accept with several renderers).
        headers = self.default_response_headers
        vary = headers.pop("Vary", None)
        if vary:
            patch_vary_headers(response, [vary])
        for name, value in headers.items():
            response[name] = value
        return response


def _cached_read_view(resource, query_serializer, summary):
    class CachedReadView(CachedReadMixin, GitHubRepositoryView):
        cached_resource = resource

        @extend_schema(
            summary=summary,
            parameters=[*REPOSITORY_PARAMETERS, *([query_serializer] if query_serializer else [])],
            responses={200: CACHE_HEADER, **GITHUB_ERROR_RESPONSES},
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


class LabelsView(CachedReadMixin, GitHubRepositoryView):
    cached_resource = "labels"

    @extend_schema(
        summary="Labels (cached)",
        parameters=[*REPOSITORY_PARAMETERS, PageQuerySerializer],
        responses={200: CACHE_HEADER, **GITHUB_ERROR_RESPONSES},
        tags=["github"],
    )
    def get(self, request, owner, repo):
        return github_response(request, selectors.github_read(owner, repo, "labels", self.query(PageQuerySerializer)))

    @extend_schema(
        summary="Create a label",
        parameters=REPOSITORY_PARAMETERS,
        request=LabelCreateSerializer,
        responses={201: OpenApiTypes.OBJECT, **GITHUB_ERROR_RESPONSES},
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
        responses={200: OpenApiTypes.OBJECT, **GITHUB_ERROR_RESPONSES},
        tags=["github"],
    )
    def patch(self, request, owner, repo, name):
        result = services.update_label(owner, repo, name, self.body(LabelUpdateSerializer))
        return Response(result.body, status=200)

    @extend_schema(
        summary="Delete a label",
        parameters=[*REPOSITORY_PARAMETERS, OpenApiParameter("name", str, OpenApiParameter.PATH)],
        request=None,
        responses={204: None, **GITHUB_ERROR_RESPONSES},
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
        responses={200: OpenApiTypes.OBJECT, **GITHUB_ERROR_RESPONSES},
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
