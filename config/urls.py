from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
    SpectacularYAMLAPIView,
)

from githubfeatures.urls import github_urlpatterns

from . import views

handler400 = "api.exceptions.bad_request"
handler403 = "api.exceptions.permission_denied"
handler404 = "api.exceptions.page_not_found"
handler500 = "api.exceptions.server_error"

# Django tries these in order, and each include that does not match costs a
# regex search and an exception: the busiest routes come first.
urlpatterns = [
    path("api/v1/webhooks/", include("webhooks.urls")),
    path("api/v1/github/<str:owner>/<str:repo>/", include(github_urlpatterns)),
    path("api/v1/github/", include("installations.urls")),
    path("api/v1/rate-limits/", include("ratelimits.urls")),
    path("api/v1/", include("subscriptions.urls")),
    path("api/v1/", include("repositories.urls")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("openapi.yaml", SpectacularYAMLAPIView.as_view(), name="schema-yaml"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
