"""The rollups: counted in memory per process, added up in the database by every process."""

import os
import time
import uuid

import pytest
import requests
from django.db.models import Sum

from rollups import histograms, recorder, services
from rollups.models import RollupCount, Series
from tests.conftest import TEST_SECRET, delivery_headers, requires_postgres, sample_bytes
from tests.test_coherence import TwoWorkers


def total(series, span, **filters):
    return RollupCount.objects.filter(series=series, span=span, **filters).aggregate(n=Sum("count"))["n"] or 0


@pytest.mark.django_db
def test_counts_add_up_in_minute_and_hour_buckets():
    for _ in range(3):
        recorder.count(Series.DELIVERIES, label="push", outcome="queued")
    recorder.count(Series.DELIVERIES, label="push", outcome="rejected", detail="bad_signature")
    rows = RollupCount.objects.filter(series=Series.DELIVERIES, label="push", outcome="queued")
    assert sorted((row.span, row.count, row.start % row.span) for row in rows) == [(60, 3, 0), (3600, 3, 0)]
    assert total(Series.DELIVERIES, 3600, outcome="rejected", detail="bad_signature") == 1


@pytest.mark.django_db(transaction=True)
def test_a_process_writes_its_counts_within_the_flush_interval(settings):
    settings.ROLLUP_FLUSH_SECONDS = 0.2
    for _ in range(5):
        recorder.count(Series.CACHE_READS, label="pulls", outcome="HIT")
    assert total(Series.CACHE_READS, 60) == 0  # in memory until the timer writes them
    deadline = time.monotonic() + 5
    while total(Series.CACHE_READS, 60) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (total(Series.CACHE_READS, 60), total(Series.CACHE_READS, 3600)) == (5, 5)


@pytest.mark.slow
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_gunicorn_workers_add_to_the_same_buckets(tmp_path):
    """Both workers answer; each keeps its own counts; the rows hold the sum of both."""
    body = sample_bytes("issues/opened.payload.json")
    server = TwoWorkers(
        tmp_path,
        os.environ.get("REDIS_URL") or "redis://127.0.0.1:1/0",
        GITHUB_WEBHOOK_SECRET=TEST_SECRET,
        ROLLUP_FLUSH_SECONDS="0.5",
    )
    delivery_ids = [str(uuid.uuid4()) for _ in range(20)]
    iterator = iter(delivery_ids * 2)  # each delivery twice: the second is a duplicate

    def deliver():
        headers = {**delivery_headers("issues", body, delivery_id=next(iterator)), "Content-Type": "application/json"}
        return requests.post(f"{server.base}/api/v1/webhooks/github", data=body, headers=headers, timeout=10).json()

    try:
        first, pids = server.burst(deliver)
        second, more_pids = server.burst(deliver)
        assert {answer["status"] for answer in first} == {"queued"}
        assert {answer["status"] for answer in second} == {"duplicate"}
        assert len(pids | more_pids) == 2, "both workers must have answered"
        deadline = time.monotonic() + 10
        while total(Series.DELIVERIES, 3600) < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.stop()
    for span in (60, 3600):
        assert total(Series.DELIVERIES, span, outcome="queued") == 20
        assert total(Series.DELIVERIES, span, outcome="duplicate") == 20


@pytest.mark.django_db
def test_old_buckets_are_pruned(settings):
    settings.ROLLUP_RETENTION_DAYS = 8
    now = 1_800_000_000
    for span, age_days in ((60, 1), (60, 3), (3600, 3), (3600, 9)):
        start = (now - age_days * 86400) // span * span
        RollupCount.objects.create(series=Series.DELIVERIES, span=span, start=start, outcome="queued", count=1)
    assert services.prune_counts(now) == 2
    kept = sorted((row.span, (now - row.start) // 86400) for row in RollupCount.objects.all())
    assert kept == [(60, 1), (3600, 3)]


def test_quantiles_interpolate_inside_the_bucket_as_prometheus_does():
    bounds = (1, 5, 10)
    counts = {"1": 50, "5": 40, "10": 10}
    assert histograms.quantile(0.5, counts, bounds) == 1.0
    assert histograms.quantile(0.9, counts, bounds) == 5.0
    assert histograms.quantile(0.95, counts, bounds) == 7.5
    assert histograms.quantile(0.5, {}, bounds) is None
    assert histograms.bucket_label(0.2, bounds) == "1"
    assert histograms.bucket_label(7, bounds) == "10"
    assert histograms.bucket_label(11, bounds) == histograms.INFINITY
