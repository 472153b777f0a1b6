"""A subscriber: a real HTTP server on 127.0.0.1 that records what it is sent and answers as told."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import TEST_SECRET


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class Subscriber:
    """Records every POST; answers with the queued replies in turn, then with ``default``."""

    def __init__(self):
        self.received = []
        self.replies = []
        self.default = Reply()
        self.lock = threading.Lock()
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with subscriber.lock:
                    subscriber.received.append(Received(self.path, dict(self.headers), body, time.time()))
                    reply = subscriber.replies.pop(0) if subscriber.replies else subscriber.default
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, *replies):
        with self.lock:
            self.replies.extend(replies)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscriber(settings):
    # Loopback is refused unless allowed: the tests' subscribers live there.
    settings.SUBSCRIPTION_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.SUBSCRIPTION_RETRY_SCHEDULE = [0, 0, 0]
    settings.SUBSCRIPTION_RETRY_JITTER = 0.0
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    server = Subscriber()
    yield server
    server.stop()


SUBSCRIPTIONS = "/api/v1/subscriptions"


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """Post a real GitHub delivery to the receiver; everything after it (processing, sending) runs now."""
    from tests.conftest import post_delivery, sample_json

    def post(event, relative_or_payload, **kwargs):
        payload = sample_json(relative_or_payload) if isinstance(relative_or_payload, str) else relative_or_payload
        with django_capture_on_commit_callbacks(execute=True):
            response = post_delivery(client, event, payload, **kwargs)
        assert response.status_code == 202, response.content
        return response.json()

    return post


@pytest.fixture
def subscribe(staff_client, subscriber):
    """Create a subscription through the API; returns (its JSON with the secret, the secret)."""

    def create(**fields):
        body = {"name": "team tools", "url": subscriber.url, "events": ["*"], **fields}
        response = staff_client.post(SUBSCRIPTIONS, body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return create


@pytest.fixture
def run_due(django_capture_on_commit_callbacks):
    """What beat does every few seconds: send every message that is due."""
    from subscriptions.tasks import send_due_messages

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return send_due_messages()

    return run
