from django.urls import path

from . import views

urlpatterns = [path("installations", views.InstallationListView.as_view(), name="github-installations")]
