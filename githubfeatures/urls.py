from django.urls import path

from . import views

# Mounted by config.urls under api/v1/github/<owner>/<repo>/, ahead of the
# other routes: they are the API's busiest, and Django tries patterns in order.
github_urlpatterns = [
    path("info", views.InfoView.as_view(), name="github-info"),
    path("pulls", views.PullsView.as_view(), name="github-pulls"),
    path("issues", views.IssuesView.as_view(), name="github-issues"),
    path("labels", views.LabelsView.as_view(), name="github-labels"),
    # <path:…>: a label name may contain "/" (sent URL-encoded, decoded by the server).
    path("labels/<path:name>", views.LabelView.as_view(), name="github-label"),
    path("workflows", views.WorkflowsView.as_view(), name="github-workflows"),
    path("settings", views.SettingsView.as_view(), name="github-settings"),
    path("cache/invalidate", views.CacheInvalidateView.as_view(), name="github-cache-invalidate"),
]
