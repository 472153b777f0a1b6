from django.urls import path

from config.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("repositories", views.RepositoryViewSet, basename="repository")

github = "github/<str:owner>/<str:repo>/"
# The GitHub routes first: cached reads are the busiest API calls, and URL
# resolution tries patterns in order.
urlpatterns = [
    path(github + "info", views.InfoView.as_view(), name="github-info"),
    path(github + "pulls", views.PullsView.as_view(), name="github-pulls"),
    path(github + "issues", views.IssuesView.as_view(), name="github-issues"),
    path(github + "labels", views.LabelsView.as_view(), name="github-labels"),
    # <path:…>: a label name may contain "/" (sent URL-encoded, decoded by the server).
    path(github + "labels/<path:name>", views.LabelView.as_view(), name="github-label"),
    path(github + "workflows", views.WorkflowsView.as_view(), name="github-workflows"),
    path(github + "settings", views.SettingsView.as_view(), name="github-settings"),
    path(github + "cache/invalidate", views.CacheInvalidateView.as_view(), name="github-cache-invalidate"),
    *router.urls,
]
