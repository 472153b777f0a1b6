from api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("repositories", views.RepositoryViewSet, basename="repository")

urlpatterns = router.urls
