"""Redis (cache and broker) killed during a stream of deliveries, then brought back.

The receiver keeps answering 202 and storing; features API reads go to GitHub
uncached; once Redis is back, the sweep enqueues what stayed pending and a
worker processes every event. The service runs in this process (Django test
client) and the worker in its own, both on a private redis-server.
"""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import post_delivery, requires_postgres, sample_bytes
from tests.drills.conftest import needs_redis_server, wait_until
from webhooks import processing
from webhooks.models import WebhookEvent

pytestmark = [requires_postgres, needs_redis_server, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SAMPLES = [
    ("issues", "issues/opened.payload.json"),
    ("pull_request", "pull_request/opened.payload.json"),
    ("push", "push/payload.json"),
    ("star", "star/created.payload.json"),
]


class DeliveryStream:
    """Signed deliveries, one after another, from a thread of their own, until stopped."""

    def __init__(self):
        self.answers = []  # (delivery id, status code, content type)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        client = Client()
        try:
            number = 0
            while not self.stopping.is_set():
                event, sample = SAMPLES[number % len(SAMPLES)]
                delivery_id = str(uuid.uuid4())
                response = post_delivery(client, event, sample_bytes(sample), delivery_id=delivery_id)
                self.answers.append((delivery_id, response.status_code))
                number += 1
        finally:
            connection.close()

    def wait_for(self, count, timeout=60):
        start = len(self.answers)
        assert wait_until(lambda: len(self.answers) >= start + count, timeout=timeout)


@pytest.fixture
def redis_backed(settings, private_redis, real_broker):
    """This process's cache and broker on the private Redis, configured as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "KEY_PREFIX": "drill",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SERIALIZER": "config.cache_serializers.JSONSerializer",  # as in settings
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    settings.GITHUB_CACHE_RETRY_SECONDS = 0.5
    real_broker(private_redis.url)
    return private_redis


def test_receiver_and_reads_survive_redis_dying_and_every_event_is_processed_after(
    settings, webhook_config, redis_backed, workers, fake_github, staff_client
):
    redis = redis_backed
    settings.WEBHOOK_SWEEP_MIN_AGE_SECONDS = 0
    workers.start(redis.url)
    stream = DeliveryStream()
    stream.thread.start()
    try:
        stream.wait_for(10)
        pulls = "/api/v1/github/octocat/hello-world/pulls"
        assert staff_client.get(pulls)["X-Cache"] == "MISS"
        assert staff_client.get(pulls)["X-Cache"] == "HIT"

        redis.kill()
        killed_at = len(stream.answers)
        stream.wait_for(6)
        # Reads go to GitHub, uncached, and still answer.
        upstream_before = len(fake_github.requests_to("/repos/octocat/hello-world/pulls"))
        for _ in range(3):
            response = staff_client.get(pulls)
            assert response.status_code == 200 and response["X-Cache"] == "MISS"
        assert len(fake_github.requests_to("/repos/octocat/hello-world/pulls")) == upstream_before + 3
        during_outage = [delivery_id for delivery_id, _ in stream.answers[killed_at + 1 :]]

        redis.start()  # same port, empty: whatever was only in Redis is gone
        stream.wait_for(5)
    finally:
        stream.stopping.set()
        stream.thread.join(timeout=30)

    statuses = {status for _, status in stream.answers}
    assert statuses == {202}, statuses
    delivered = [delivery_id for delivery_id, _ in stream.answers]
    assert WebhookEvent.objects.filter(delivery_id__in=delivered).count() == len(delivered) == len(set(delivered))
    assert WebhookEvent.objects.filter(delivery_id__in=during_outage, status="pending").exists()

    # Beat's sweep, run here until it finds nothing left to enqueue.
    def all_processed():
        processing.sweep_pending_events()
        return set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}

    assert wait_until(all_processed, timeout=60, every=1.0), list(
        WebhookEvent.objects.values_list("status", "attempts")
    )
    assert WebhookEvent.objects.filter(attempts__gt=1).count() == 0
