from django.http import JsonResponse


class InvalidContentLengthMiddleware:
    """A ``Content-Length`` that is not a number is a 400, before anything reads it.

    Django and django-prometheus both call ``int()`` on it; behind gunicorn such
    a request is refused earlier, but the app must not answer it with a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH")
        if length and not (length.isascii() and length.isdigit()):
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        return self.get_response(request)
