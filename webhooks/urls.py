from django.urls import include, path

from api.routers import OptionalSlashRouter

from . import receiver, views

router = OptionalSlashRouter()
router.register("configs", views.WebhookConfigViewSet, basename="webhookconfig")
router.register("events", views.WebhookEventViewSet, basename="webhookevent")

urlpatterns = [
    path("github", receiver.GitHubWebhookView.as_view(), name="github-webhook"),
    path("", include(router.urls)),
]
