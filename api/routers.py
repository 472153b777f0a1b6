from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes that answer both ``/configs`` and ``/configs/`` (no redirect for API clients)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
