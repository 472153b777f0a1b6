"""`manage.py partition_events` on a live table: two gunicorn workers keep storing deliveries meanwhile.

A scratch database is migrated to the previous version's schema (0006), filled
with 40 days of events, migrated to this version (receipts), then converted
while deliveries arrive. Every delivery is answered 202 and stored once; the
rows from before are a partition of the new table; copies are still refused.
"""

import os
import subprocess
import sys
import threading
import uuid

import psycopg
import pytest
import requests
from django.db import connection

from tests.conftest import ROOT, delivery_headers, requires_postgres, sample_bytes
from tests.drills.conftest import start_gunicorn, stop_gunicorn

BODY = sample_bytes("issues/opened.payload.json")
OLD_EVENTS = 3000


def database_url(name):
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


def manage(url, *arguments, **env):
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "test-only", **env}
    environment.pop("CELERY_BROKER_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def scratch():
    name = f"{connection.settings_dict['NAME']}_live_partitioning"
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    yield database_url(name)
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def sql(url, statement, params=()):
    with psycopg.connect(url, autocommit=True) as db:
        cursor = db.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


@pytest.mark.slow
@requires_postgres
def test_a_live_table_is_partitioned_while_deliveries_keep_arriving(scratch, tmp_path):
    manage(scratch, "migrate", "webhooks", "0006")
    sql(
        scratch,
        "INSERT INTO webhook_events (delivery_id, event, action, repository_full_name, sender_login, payload, "
        "headers, status, attempts, last_error, received_at) "
        "SELECT 'old-' || n, 'issues', 'opened', 'o/r', 'u', '{}', '{}', "
        "CASE WHEN n %% 100 = 0 THEN 'failed' ELSE 'processed' END, 1, '', now() - n * interval '20 minutes' "
        "FROM generate_series(1, %s) n",
        [OLD_EVENTS],
    )
    manage(scratch, "migrate")
    assert sql(scratch, "SELECT count(*) FROM pg_partitioned_table")[0][0] == 0  # 0008 left a full table alone

    base, gunicorn = start_gunicorn(
        tmp_path, scratch, CELERY_BROKER_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:1/0"
    )
    answers, stop = [], threading.Event()

    def post(delivery_id):
        headers = {**delivery_headers("issues", BODY, delivery_id=delivery_id), "Content-Type": "application/json"}
        response = requests.post(f"{base}/api/v1/webhooks/github", data=BODY, headers=headers, timeout=30)
        return response.status_code, response.json().get("status")

    def keep_delivering():
        while not stop.is_set():
            delivery_id = str(uuid.uuid4())
            answers.append((delivery_id, *post(delivery_id)))

    senders = [threading.Thread(target=keep_delivering) for _ in range(4)]
    try:
        for sender in senders:
            sender.start()
        while len(answers) < 50:
            stop.wait(0.05)
        output = manage(scratch, "partition_events")
        during = len(answers)
        while len(answers) < during + 50:
            stop.wait(0.05)
        stop.set()
        for sender in senders:
            sender.join()

        assert "partitioned by day" in output
        assert {(code, status) for _, code, status in answers} == {(202, "queued")}
        # A copy of one stored while the table changed, and of one stored long before, is still a duplicate.
        assert post(answers[during - 1][0]) == (200, "duplicate")
        assert post("old-5") == (200, "duplicate")
    finally:
        stop.set()
        stop_gunicorn(gunicorn)

    stored = dict(sql(scratch, "SELECT delivery_id, count(*) FROM webhook_events GROUP BY delivery_id"))
    assert len(stored) == OLD_EVENTS + len(answers) and set(stored.values()) == {1}
    assert all(delivery_id in stored for delivery_id, _, _ in answers)
    partitions = dict(
        sql(
            scratch,
            "SELECT c.relname, (SELECT count(*) FROM webhook_events e WHERE e.tableoid = c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'webhook_events'::regclass",
        )
    )
    before = next(name for name in partitions if name.startswith("webhook_events_before_"))
    assert partitions[before] == len(stored)  # every row so far is before the boundary, two days ahead
    assert partitions["webhook_events_future"] == 0 and not any(name.endswith("_default") for name in partitions)
    # The migrations' index names are the partitioned table's, so later migrations find them.
    indexes = {name for (name,) in sql(scratch, "SELECT indexname FROM pg_indexes WHERE tablename = 'webhook_events'")}
    assert {"webhook_events_pkey", "webhook_event_status_idx", "webhook_event_delivery_idx"} <= indexes
    assert "No changes detected" in manage(scratch, "makemigrations", "--check", "--dry-run")

    # Until its boundary is past retention, the old table is pruned in batches: failed events stay.
    manage(scratch, "prune_events", WEBHOOK_EVENT_RETENTION_DAYS="30")
    left = sql(scratch, "SELECT status, count(*) FROM webhook_events WHERE delivery_id LIKE 'old-%%' GROUP BY status")
    assert dict(left) == {"processed": 2159 - 21, "failed": 30}
    # And a second run is a no-op.
    assert "already partitioned" in manage(scratch, "partition_events")
