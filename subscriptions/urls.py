from django.urls import include, path

from api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")

urlpatterns = [path("", include(router.urls))]
