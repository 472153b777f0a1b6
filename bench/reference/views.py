"""Three reference views, under the product's middleware, settings and gunicorn.

- ``trivial``: answers 200 and nothing else (the request/response ceiling);
- ``minimal_receiver``: verifies the HMAC, parses the JSON, inserts one row in a
  plain table with a JSON column (``bench_minimal_delivery``, created by the
  driver): what any receiver must at least do;
- ``cached_value``: one ``cache.get`` from django-redis of the bytes of one
  GitHub page, as the service's cached read answers it uncompressed
  (``bench:reference:<page>``, set by the driver);
- ``CachedValueAPIView``: the same inside a DRF ``APIView`` with the product's
  defaults (token authentication, ``IsAdminUser``): what DRF's authenticated
  dispatch costs on its own (``bench/instructions.py``).
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from psycopg.types.json import Jsonb
from rest_framework.views import APIView

MINIMAL_TABLE = "bench_minimal_delivery"


def reference_key(page):
    return f"bench:reference:{page}"


@csrf_exempt
def trivial(request):
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


@csrf_exempt
def minimal_receiver(request):
    body = request.body
    expected = "sha256=" + hmac.new(settings.GITHUB_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
        return JsonResponse({"detail": "bad signature"}, status=401)
    payload = json.loads(body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MINIMAL_TABLE} (delivery_id, payload) VALUES (%s, %s)",
            [request.headers.get("X-GitHub-Delivery", ""), Jsonb(payload)],
        )
    return JsonResponse({"status": "queued"}, status=202)


def cached_value(request, page):
    return HttpResponse(cache.get(reference_key(page)), content_type="application/json")


class CachedValueAPIView(APIView):
    def get(self, request, page):
        return HttpResponse(cache.get(reference_key(page)), content_type="application/json")
