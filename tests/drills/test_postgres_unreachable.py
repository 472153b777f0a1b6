"""PostgreSQL unreachable under gunicorn: 503 JSON, nothing stored; then redeliver_failed recovers.

gunicorn (production settings) reaches PostgreSQL through a TCP link this test
can cut (listener closed, live connections reset): the shared server is never
stopped. The test plays GitHub's side: it posts signed deliveries, records
each answer in the simulator's delivery log as GitHub would, and when asked to
redeliver (``POST …/deliveries/{id}/attempts``) posts the delivery again.
"""

import io
import json
import uuid

import pytest
import requests
from django.core.management import call_command
from django.db import connection

from tests.conftest import RECEIVER_URL, delivery_headers, requires_postgres, sample_bytes
from tests.drills.conftest import TcpLink, start_gunicorn, stop_gunicorn
from webhooks import hooks
from webhooks.models import WebhookEvent

pytestmark = [requires_postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OWNER, REPO = "Codertocat", "Hello-World"
SAMPLES = [
    ("issues", "issues/opened.payload.json"),
    ("pull_request", "pull_request/opened.payload.json"),
    ("push", "push/payload.json"),
]


class Hookshot:
    """GitHub's delivering side: posts to the receiver and keeps GitHub's delivery log."""

    def __init__(self, fake, base, hook_id):
        self.fake, self.base, self.hook_id = fake, base, hook_id
        self.sent = {}  # guid -> (event, body)
        original = fake._redeliver

        def redeliver(repo, query, body, hook_id, delivery_id):
            delivery = fake._delivery(repo, hook_id, delivery_id)
            if delivery is not None:
                fake.redelivery_status_code = self.post(delivery["guid"]).status_code
            return original(repo, query, body, hook_id, delivery_id)

        fake._redeliver = redeliver

    def post(self, guid):
        event, body = self.sent[guid]
        headers = {
            **delivery_headers(event, body, delivery_id=guid),
            "Content-Type": "application/json",
            "X-GitHub-Hook-ID": str(self.hook_id),
        }
        return requests.post(self.base + RECEIVER_URL, data=body, headers=headers, timeout=30)

    def deliver(self, event, body):
        guid = str(uuid.uuid4())
        self.sent[guid] = (event, body)
        response = self.post(guid)
        action = json.loads(body).get("action")
        self.fake.seed_delivery(
            OWNER, REPO, self.hook_id, guid=guid, status_code=response.status_code, event=event, action=action
        )
        return guid, response


@pytest.fixture
def link():
    db = connection.settings_dict
    relay = TcpLink(db["HOST"] or "127.0.0.1", db["PORT"] or 5432).open()
    yield relay
    if relay.listener is not None:
        relay.cut()


def test_receiver_is_503_while_postgres_is_unreachable_and_redeliver_failed_recovers(
    settings, tmp_path, fake_github, webhook_config, link
):
    fake_github.add_repo(OWNER, REPO)
    hooks.sync_hook(webhook_config)
    db = connection.settings_dict
    base, server = start_gunicorn(
        tmp_path, f"postgres://{db['USER']}@127.0.0.1:{link.port}/{db['NAME']}", DB_CONNECT_TIMEOUT=2
    )
    try:
        hookshot = Hookshot(fake_github, base, webhook_config.hook_id)
        stored_before = [hookshot.deliver(event, sample_bytes(sample)) for event, sample in SAMPLES]
        assert [response.status_code for _, response in stored_before] == [202, 202, 202]

        link.cut()
        failed = [hookshot.deliver(event, sample_bytes(sample)) for event, sample in SAMPLES * 2]
        for _, response in failed:
            assert response.status_code == 503
            assert response.headers["Content-Type"] == "application/json"
            assert response.json() == {"detail": "Storage is unavailable; the delivery was not stored."}
        link.open()

        failed_guids = [guid for guid, _ in failed]
        assert not WebhookEvent.objects.filter(delivery_id__in=failed_guids).exists()
        assert WebhookEvent.objects.count() == 3

        out = io.StringIO()
        call_command("redeliver_failed", "--since", "1h", stdout=out)
        assert "redelivered 6" in out.getvalue(), out.getvalue()
        stored = WebhookEvent.objects.filter(delivery_id__in=failed_guids)
        assert sorted(stored.values_list("delivery_id", flat=True)) == sorted(failed_guids)
        assert WebhookEvent.objects.count() == 9

        # GitHub's log now shows a successful attempt for each: nothing more to redeliver.
        out = io.StringIO()
        call_command("redeliver_failed", "--since", "1h", stdout=out)
        assert "redelivered 0" in out.getvalue(), out.getvalue()
        assert WebhookEvent.objects.count() == 9
    finally:
        stop_gunicorn(server)
