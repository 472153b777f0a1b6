import threading

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import TEST_SECRET, post_delivery, requires_postgres, sample_bytes
from webhooks.models import WebhookEvent


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("copies", [2, 8])
def test_simultaneous_copies_of_one_delivery_make_one_row(settings, copies):
    """Real threads, each with its own PostgreSQL connection, released together."""
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    body = sample_bytes("pull_request/opened.payload.json")
    barrier = threading.Barrier(copies)
    statuses = []

    def deliver():
        try:
            barrier.wait()
            response = post_delivery(Client(), "pull_request", body, delivery_id="race-1")
            statuses.append((response.status_code, response.json()["status"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert WebhookEvent.objects.filter(delivery_id="race-1").count() == 1
    assert sorted(statuses) == [(200, "duplicate")] * (copies - 1) + [(202, "queued")]
