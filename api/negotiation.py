from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, without parsing anything when the client states no preference.

    With no ``Accept`` header (or ``*/*``) and no ``?format=``, DRF always
    picks the first renderer. Most API calls look like that, so they get it
    directly; every other request is negotiated by DRF unchanged.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            renderers
            and request.META.get("HTTP_ACCEPT", "*/*") == "*/*"
            and not format_suffix
            # The query string is only parsed when there is one.
            and not (request.META.get("QUERY_STRING") and self.settings.URL_FORMAT_OVERRIDE in request.query_params)
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
