"""Retention at scale: old days dropped whole (PostgreSQL), their failed events kept, receipts forgotten."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bigtables import partitions
from tests.conftest import TEST_SECRET, post_delivery, requires_postgres, sample_bytes
from webhooks import retention
from webhooks.models import DeliveryReceipt, WebhookEvent

pytestmark = pytest.mark.django_db

TABLE = "webhook_events"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET


def names():
    return [p.name for p in partitions.partitions(TABLE, connection)]


def store(client, status, received_at, delivery_id):
    response = post_delivery(client, "star", sample_bytes("star/created.payload.json"), delivery_id=delivery_id)
    assert response.status_code in (200, 202), response.content
    WebhookEvent.objects.filter(delivery_id=delivery_id).update(status=status, received_at=received_at)


@requires_postgres
def test_a_new_install_is_partitioned_by_day_with_days_ahead(settings):
    today = partitions.day_start(timezone.now())
    assert partitions.is_partitioned(TABLE, connection)
    expected = [
        f"{TABLE}_{today + timedelta(days=n):%Y%m%d}" for n in range(settings.WEBHOOK_EVENT_PARTITIONS_AHEAD_DAYS + 1)
    ]
    # The archive below the days, the future above them: every row has a partition, none a default.
    assert names() == [f"{TABLE}_archive", *expected, f"{TABLE}_future"]
    # Making days is idempotent, and makes only the missing ones.
    assert retention.make_days_ahead() == []
    settings.WEBHOOK_EVENT_PARTITIONS_AHEAD_DAYS += 1
    assert retention.make_days_ahead() == [f"{TABLE}_{today + timedelta(days=len(expected)):%Y%m%d}"]


def partition_of(delivery_id):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE delivery_id = %s", [delivery_id])
        return cursor.fetchone()[0]


@requires_postgres
def test_rows_dated_outside_the_days_are_kept_and_a_day_made_late_takes_its_own(client):
    long_ago, far_ahead = timezone.now() - timedelta(days=40), timezone.now() + timedelta(days=40)
    store(client, "processed", long_ago, "stray-past")
    store(client, "processed", far_ahead, "stray-ahead")
    assert partition_of("stray-past") == f"{TABLE}_archive"
    assert partition_of("stray-ahead") == f"{TABLE}_future"

    future_start = partitions.partitions(TABLE, connection)[-1].start
    made = partitions.make_days(TABLE, "received_at", far_ahead, far_ahead, connection)
    # The days between the future's start and that one are made first, so no range is left without a partition.
    days = (partitions.day_start(far_ahead) - future_start).days + 1
    assert made == [f"{TABLE}_{future_start + timedelta(days=n):%Y%m%d}" for n in range(days)]
    assert partition_of("stray-ahead") == made[-1]
    assert names()[-1] == f"{TABLE}_future"
    # The archive holds a row: no day is cut from it.
    assert partitions.make_days(TABLE, "received_at", long_ago, long_ago, connection) == []
    assert partition_of("stray-past") == f"{TABLE}_archive"
    assert WebhookEvent.objects.count() == 2


@requires_postgres
def test_an_old_day_is_dropped_whole_and_its_failed_and_pending_events_stay(client, settings):
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 30
    old_day = partitions.day_start(timezone.now()) - timedelta(days=35)
    cutoff_day = partitions.day_start(timezone.now() - timedelta(days=30))
    partitions.make_days(TABLE, "received_at", old_day, cutoff_day, connection)
    for number, status in enumerate(["processed", "skipped", "failed", "pending", "processed"]):
        store(client, status, old_day + timedelta(hours=number), f"old-{status}-{number}")
    # Past the cutoff, but its day is not over at the cutoff: it goes with its whole day, later.
    store(client, "processed", cutoff_day, "cutoff-day")
    store(client, "processed", timezone.now(), "today")

    assert retention.prune_events() == 3
    assert set(WebhookEvent.objects.values_list("delivery_id", flat=True)) == {
        "old-failed-2",
        "old-pending-3",
        "cutoff-day",
        "today",
    }
    # The old days are gone; what stays is in the archive, below the oldest day; the cutoff's day is there.
    assert names()[:2] == [f"{TABLE}_archive", f"{TABLE}_{cutoff_day:%Y%m%d}"]
    every_index = index_parents(f"{TABLE}_{cutoff_day:%Y%m%d}")
    assert "webhook_events_pkey" in every_index and index_parents(f"{TABLE}_archive") == every_index
    assert retention.prune_events() == 0
    # Staff reprocess the kept events, they are processed; the next run deletes them from the archive.
    WebhookEvent.objects.filter(delivery_id__startswith="old-").update(status="processed")
    assert retention.prune_events() == 2
    # A later day joins the archive too: one partition for every day gone, not one each.
    store(client, "failed", cutoff_day + timedelta(hours=1), "later-failed")
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 28
    assert retention.prune_events() == 1
    assert names()[0] == f"{TABLE}_archive" and f"{TABLE}_{cutoff_day:%Y%m%d}" not in names()
    assert WebhookEvent.objects.filter(delivery_id="later-failed").exists()


def test_receipts_are_kept_for_the_dedup_window_then_forgotten(client, settings):
    settings.WEBHOOK_DELIVERY_DEDUP_DAYS = 7
    body = sample_bytes("star/created.payload.json")
    for delivery_id in ("fresh", "stale"):
        assert post_delivery(client, "star", body, delivery_id=delivery_id).status_code == 202
    DeliveryReceipt.objects.filter(pk="stale").update(received_at=timezone.now() - timedelta(days=8))

    retention.prune_events()

    assert list(DeliveryReceipt.objects.values_list("pk", flat=True)) == ["fresh"]
    assert post_delivery(client, "star", body, delivery_id="fresh").json()["status"] == "duplicate"


def index_parents(partition):
    """The table's indexes this partition's indexes are parts of (all of them, when it was attached whole)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT parent.relname FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indexrelid "
            "JOIN pg_class parent ON parent.oid = h.inhparent WHERE i.indrelid = to_regclass(%s)",
            [partition],
        )
        return sorted(name for (name,) in cursor.fetchall())


@requires_postgres
def test_what_an_interrupted_drop_left_is_cleared_at_the_next_run():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE}_20200101 (LIKE {TABLE})")  # detached, not yet dropped
        cursor.execute(f"CREATE TABLE {TABLE}_2020 (LIKE {TABLE})")  # not a name of ours
    partitions.finish_interrupted_drops(TABLE, connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s), to_regclass(%s)", [f"{TABLE}_20200101", f"{TABLE}_2020"])
        assert cursor.fetchone() == (None, f"{TABLE}_2020")
    assert f"{TABLE}_{partitions.day_start(timezone.now()):%Y%m%d}" in names()  # attached days stay


def test_receipts_kept_no_longer_than_githubs_redelivery_window_is_refused_at_start(settings):
    from django.core.checks import run_checks

    settings.WEBHOOK_DELIVERY_DEDUP_DAYS = 3
    assert [error.id for error in run_checks()] == ["webhooks.E001"]
    settings.WEBHOOK_DELIVERY_DEDUP_DAYS = 4
    assert run_checks() == []
