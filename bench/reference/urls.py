from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [
    path("bench/trivial", views.trivial),
    path("bench/minimal-receiver", views.minimal_receiver),
    path("bench/cached-value/<str:page>", views.cached_value),
    path("bench/cached-value-drf/<str:page>", views.CachedValueAPIView.as_view()),
    *product_urlpatterns,
]
