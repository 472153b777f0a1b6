from django.urls import re_path

from . import views

# Both "/status" and "/status/" answer, like the routers of the other apps.
urlpatterns = [
    re_path(r"^status/?$", views.RateLimitStatusView.as_view(), name="ratelimit-status"),
    re_path(r"^track/?$", views.RateLimitTrackView.as_view(), name="ratelimit-track"),
    re_path(r"^health/?$", views.RateLimitHealthView.as_view(), name="ratelimit-health"),
    re_path(r"^history/?$", views.RateLimitHistoryView.as_view(), name="ratelimit-history"),
]
