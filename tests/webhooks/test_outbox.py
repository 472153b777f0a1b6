"""The outbox's relay thread (webhooks/outbox.py): batches ids for the broker, loses none it holds."""

import threading
import time

import pytest

from webhooks import outbox


class Published(list):
    """Batches handed to the broker, in place of outbox.publish."""

    def __init__(self):
        super().__init__()
        self.sent = threading.Event()

    def __call__(self, event_ids):
        self.append(list(event_ids))
        self.sent.set()


@pytest.fixture
def published(monkeypatch):
    batches = Published()
    monkeypatch.setattr(outbox, "publish", batches)
    return batches


def test_ids_submitted_within_the_window_go_out_as_one_batch(published, settings):
    settings.WEBHOOK_RELAY_GATHER_SECONDS = 0.3
    relay = outbox.Relay()
    for event_id in range(1, 121):
        relay.submit(event_id)
    assert published.sent.wait(5)
    time.sleep(0.1)
    assert published == [list(range(1, 121))]


def test_flush_at_exit_publishes_the_batch_being_gathered(published, settings):
    settings.WEBHOOK_RELAY_GATHER_SECONDS = 30  # the thread is asleep with the first id
    relay = outbox.Relay()
    relay.submit(1)
    deadline = time.monotonic() + 5
    while relay._gathering != [1] and time.monotonic() < deadline:
        time.sleep(0.01)
    relay.submit(2)
    relay.flush()
    assert published == [[1, 2]]


def test_the_thread_survives_a_failing_broker_and_a_bad_setting(monkeypatch, settings):
    batches = []

    def publish(event_ids):
        if not batches:
            batches.append("refused")
            raise ConnectionError("broker down")
        batches.append(list(event_ids))

    monkeypatch.setattr(outbox, "publish", publish)
    settings.WEBHOOK_RELAY_GATHER_SECONDS = -1  # clamped to 0, not a dead thread
    relay = outbox.Relay()
    relay.submit(1)
    deadline = time.monotonic() + 5
    while len(batches) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    relay.submit(2)
    while len(batches) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batches == ["refused", [2]]
