"""The events list at scale: keyset pages (next/previous), a count only on demand, and every
documented filter served, with the list's order, by an index (the plans read on PostgreSQL)."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import requires_postgres
from webhooks.filters import WebhookEventFilter
from webhooks.models import WebhookEvent
from webhooks.selectors import event_list

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/webhooks/events"


@pytest.fixture
def stored():
    """45 events, several sharing one received_at (ties broken by id), newest last created."""
    start = timezone.now() - timedelta(hours=1)
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            delivery_id=f"d-{number:03}",
            event="issues" if number % 3 else "push",
            action="opened" if number % 3 else "",
            repository_full_name=f"octo-org/repo-{number % 2}",
            status="failed" if number % 10 == 0 else "processed",
            payload={"n": number},
            received_at=start + timedelta(seconds=number // 4),  # four events a second
        )
        for number in range(45)
    )
    return [f"d-{number:03}" for number in reversed(range(45))]


@pytest.fixture
def many():
    """2,000 events where each filtered value is rare (1%), as one repository or event among many is:
    a page of them is then cheaper from the filter's index than from the received_at order."""
    start = timezone.now() - timedelta(days=1)
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            delivery_id=f"m-{number:05}",
            event="issues" if number % 100 == 1 else "push",
            action="opened" if number % 2 else "",
            repository_full_name="octo-org/repo-1" if number % 100 == 2 else f"octo-org/other-{number % 7}",
            status="failed" if number % 50 == 2 else "processed",
            payload={},
            received_at=start + timedelta(seconds=number),
        )
        for number in range(2000)
    )


def follow(staff_client, url, link="next"):
    pages = []
    while url:
        page = staff_client.get(url).json()
        pages.append(page)
        url = page[link]
    return pages


def test_next_links_walk_every_event_once_newest_first(staff_client, stored):
    pages = follow(staff_client, f"{EVENTS}?page_size=10")
    assert [len(page["results"]) for page in pages] == [10, 10, 10, 10, 5]
    assert [row["delivery_id"] for page in pages for row in page["results"]] == stored
    assert all("count" not in page for page in pages)
    assert pages[0]["previous"] is None and "cursor=" in pages[0]["next"]
    # And back: previous from the last page returns the pages before it, same rows.
    back = follow(staff_client, pages[-1]["previous"], link="previous")
    assert [row["delivery_id"] for page in reversed(back) for row in page["results"]] == stored[:40]


def test_filters_combine_with_the_cursor_and_a_count_on_demand(staff_client, stored):
    pages = follow(staff_client, f"{EVENTS}?page_size=4&event=issues&repository=OCTO-ORG/repo-1&count=true")
    rows = [row for page in pages for row in page["results"]]
    expected = [d for d in stored if int(d[2:]) % 3 and int(d[2:]) % 2 == 1]
    assert [row["delivery_id"] for row in rows] == expected
    assert {page["count"] for page in pages} == {len(expected)}
    # The next link keeps the filters.
    assert parse_qs(urlsplit(pages[0]["next"]).query)["event"] == ["issues"]


def test_bad_cursor_and_bad_count_are_clear_errors(staff_client, stored):
    response = staff_client.get(EVENTS, {"cursor": "not-a-cursor"})
    assert response.status_code == 404 and response.json() == {"detail": "Invalid cursor"}
    response = staff_client.get(EVENTS, {"count": "maybe"})
    assert response.status_code == 400 and "count" in json.dumps(response.json())


# Every documented filter of GET /events (webhooks/filters.py), each alone and the slow pairs of
# issue 18, with the indexes that may serve it (the filter as the index's condition). `action`
# has no index of its own: its values are few and common, the list's order finds a page of them.
RECEIVED = "webhook_event_received_idx"
FILTER_CASES = [
    ({"event": "issues"}, {"webhook_event_event_recv_idx"}),
    ({"action": "opened"}, {RECEIVED}),
    ({"repository": "octo-org/repo-1"}, {"webhook_event_repo_recv_idx"}),
    ({"status": "failed"}, {"webhook_event_status_idx"}),
    ({"delivery_id": "m-00001"}, {"webhook_event_delivery_idx"}),
    ({"received_after": "2026-01-01T00:00:00Z"}, {RECEIVED}),
    ({"received_before": "2030-01-01T00:00:00Z"}, {RECEIVED}),
    ({"event": "issues", "status": "processed"}, {"webhook_event_event_recv_idx", "webhook_event_status_idx"}),
    (
        {"repository": "octo-org/repo-1", "status": "failed"},
        {"webhook_event_repo_recv_idx", "webhook_event_status_idx"},
    ),
    ({}, {RECEIVED}),
]


def test_every_documented_filter_is_listed_here():
    documented = set(WebhookEventFilter.get_filters())
    assert documented == {name for params, _ in FILTER_CASES for name in params}


@requires_postgres
@pytest.mark.parametrize(
    ("params", "served_by"), FILTER_CASES, ids=[("&".join(params) or "unfiltered") for params, _ in FILTER_CASES]
)
def test_each_filter_with_the_list_order_is_an_index_range(many, params, served_by):
    """No sequential scan and no full sort: the rows come from an index in the list's order.

    A 45-row table is cheaper to read whole and sort, so both are priced out
    (enable_seqscan, enable_sort off): the planner still scans or sorts when
    no index serves the filter with the order, and the test fails.
    """
    queryset = WebhookEventFilter(params, queryset=event_list()).qs.order_by("-received_at", "-id")[:51]
    one_row = "delivery_id" in params  # one row (a receipt each), by its index: sorting it is free
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE webhook_events")  # statistics, as autovacuum keeps them
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"SET enable_sort = {'on' if one_row else 'off'}")
        try:
            plan = json.loads(queryset.explain(format="json"))[0]["Plan"]
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")
    nodes = list(walk(plan))
    kinds = {node["Node Type"] for node in nodes}
    # The table is partitioned by day: each partition's index is a part of the named index. How
    # the planner reads a partition without rows (days ahead) does not matter.
    indexes = {
        index_of_table(node["Index Name"])
        for node in nodes
        if "Index Name" in node and node["Relation Name"] in tables_with_rows()
    }
    assert "Seq Scan" not in kinds, nodes
    assert one_row or "Sort" not in kinds, nodes  # an Incremental Sort only breaks ties of received_at by id
    assert len(indexes) == 1 and indexes <= served_by, nodes


def tables_with_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'webhook_events%%' AND reltuples > 0")
        return {name for (name,) in cursor.fetchall()}


def index_of_table(partition_index):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_partition_root(%s::regclass)::regclass::text", [partition_index])
        return cursor.fetchone()[0]


def walk(node):
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)
