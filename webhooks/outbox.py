"""Hands stored events to the workers: at once in-process, or from a background thread in batches.

The stored ``webhook_events`` row is the outbox. The receiver's job ends when
the row is committed; publishing to the broker (~0.5 ms of CPU per message,
seconds when the broker is down) happens in the relay thread here, off the
request path, one task per batch of ids. Nothing depends on this thread for
safety: a row whose id never reaches the broker (crash, broker outage) stays
``pending`` and the sweep enqueues it.

This module knows no task queue: the request path must not load Celery. The
webhooks app connects its Celery tasks at load (``connect`` in
``WebhooksConfig.ready``), as an object with the ``Workers`` methods.
"""

import atexit
import logging
import os
import queue
import threading
import time
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)


class Workers(Protocol):
    """Where stored events are processed. An event is named by ``(id, received_at)``: its day finds its partition."""

    def runs_inline(self) -> bool:
        """True when no broker is configured: a task runs at once, in the caller's process."""

    def process_one(self, event) -> None:
        """Process one event in a task of its own."""

    def process_batch(self, events) -> None:
        """Send one task for a batch of events."""


_workers = None


def connect(workers: Workers):
    global _workers
    _workers = workers


def _connected_workers():
    if _workers is None:
        raise RuntimeError("no workers connected to the webhooks outbox (WebhooksConfig.ready connects them)")
    return _workers


def publish(events):
    """Send events to the workers, at most ``WEBHOOK_ENQUEUE_BATCH_SIZE`` per task."""
    workers = _connected_workers()
    size = settings.WEBHOOK_ENQUEUE_BATCH_SIZE
    for start in range(0, len(events), size):
        workers.process_batch(events[start : start + size])


class Relay:
    def __init__(self):
        self._lock = threading.Lock()
        self._queue = queue.SimpleQueue()
        self._gathering = []
        self._pid = None
        self._failing_since = None

    def submit(self, event):
        if self._pid != os.getpid():
            self._start()
        self._queue.put(event)

    def _start(self):
        with self._lock:
            if self._pid == os.getpid():
                return
            # A forked child (gunicorn worker) inherits no threads: start its own.
            self._queue = queue.SimpleQueue()
            self._gathering = []
            threading.Thread(target=self._run, name="webhook-relay", daemon=True).start()
            self._pid = os.getpid()

    def _next_batch(self):
        # The batch being gathered lives on self, so flush() at exit sees it too.
        self._gathering = batch = [self._queue.get()]
        # A publish costs about as much CPU as storing a delivery: under load it
        # pays to send tens of ids at once; the added latency is invisible to GitHub.
        # Sleeping through the window, rather than waking for every id, keeps
        # this thread from taking the GIL from the request thread once per delivery.
        time.sleep(max(0.0, settings.WEBHOOK_RELAY_GATHER_SECONDS))
        self._drain_into(batch)
        self._gathering = []
        return batch

    def _drain_into(self, batch):
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _run(self):
        while True:
            try:
                self._send(self._next_batch())
            except Exception:
                # Never let the thread die: ids it dropped stay pending for the sweep.
                logger.exception("webhook relay: unexpected error; pending events are left to the sweep")

    def _send(self, batch):
        try:
            publish(batch)
        except Exception:
            # Logged once per outage; the rows stay pending for the sweep.
            if self._failing_since is None:
                self._failing_since = time.monotonic()
                logger.warning("cannot reach the broker; %d event(s) left to the sweep", len(batch), exc_info=True)
            return
        if self._failing_since is not None:
            logger.warning("broker reachable again after %.0f s", time.monotonic() - self._failing_since)
            self._failing_since = None

    def flush(self):
        """Publish what is gathered or queued (at process exit): best effort.

        An id the thread publishes at the same moment goes out twice, which is
        harmless: a worker claims an event once (processing.claim_event).
        """
        if self._pid != os.getpid():
            return
        batch = list(self._gathering)
        self._drain_into(batch)
        if batch:
            self._send(batch)


relay = Relay()
atexit.register(relay.flush)


def enqueue_event(event):
    """Hand a stored event, ``(id, received_at)``, to the workers without waiting for the broker.

    In-process (no broker configured) the task runs now. Otherwise the relay
    thread publishes it; if that fails the row stays pending for the sweep.
    """
    workers = _connected_workers()
    if workers.runs_inline():
        workers.process_one(event)
    else:
        relay.submit(event)


def publish_events(events):
    """Enqueue events, ``(id, received_at)`` each, now, in batches (sweep, reprocess); False when the broker refused."""
    try:
        publish(list(events))
    except Exception:
        logger.warning("could not enqueue %d event(s); the sweep will retry them", len(events), exc_info=True)
        return False
    return True
