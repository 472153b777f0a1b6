from drf_spectacular.utils import extend_schema
from rest_framework import generics

from github.client import get_client

from . import selectors
from .serializers import InstallationSerializer


class InstallationListView(generics.ListAPIView):
    serializer_class = InstallationSerializer

    def get_queryset(self):
        return selectors.installation_list()

    @extend_schema(tags=["github"])
    def get(self, request, *args, **kwargs):
        """The GitHub App's live installations: repositories covered, token expiry (never the token), budget left."""
        page = self.paginate_queryset(self.get_queryset())
        ids = [installation.id for installation in page]
        context = {
            **self.get_serializer_context(),
            "token_expiries": selectors.token_expiries(ids),
            "budgets": selectors.budgets(get_client().rate_limits, ids),
        }
        return self.get_paginated_response(self.get_serializer(page, many=True, context=context).data)
