from rest_framework import pagination, serializers
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class ReceivedCursorPagination(pagination.CursorPagination):
    """Keyset pages, newest first, for tables of millions of rows (stored events).

    A page is an index range read from a position (the last ``received_at``,
    and how many rows of that same instant were already served; ``id`` orders
    those), however deep: no ``OFFSET`` over the pages before. Pages link
    ``next`` and ``previous``; there is no exact total unless asked
    (``?count=true``), as counting reads every matching row.
    """

    ordering = ("-received_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200
    count_query_param = "count"

    def paginate_queryset(self, queryset, request, view=None):
        self.total = queryset.count() if self._wants_count(request) else None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.total is not None:
            response.data = {"count": self.total, **response.data}
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"] = {
            "count": {"type": "integer", "description": "The exact total; only with `?count=true`."},
            **schema["properties"],
        }
        return schema

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.count_query_param,
                "required": False,
                "in": "query",
                "description": "`true` adds the exact total (`count`); it reads every matching row.",
                "schema": {"type": "boolean"},
            },
        ]

    def _wants_count(self, request):
        value = request.query_params.get(self.count_query_param)
        if value is None:
            return False
        try:
            return serializers.BooleanField().to_internal_value(value)  # DRF's words for true and false
        except ValidationError:
            raise ValidationError({self.count_query_param: "Must be true or false."}) from None
