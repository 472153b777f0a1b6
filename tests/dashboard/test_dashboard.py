"""The staff dashboard, read as staff read it: the admin's first page, over data made through the real paths.

Deliveries go through the receiver (accepted, duplicate, refused), are
processed (one event's handler fails for good), pushed to a real local
subscriber, and cached reads go to the GitHub simulator: every chart must
then show what happened, link to the matching list, and switch windows.
"""

import re
import time
from html import unescape

import pytest

from dashboard import services
from rollups.models import RollupCount, Series
from tests.conftest import TEST_SECRET, post_delivery, sample_bytes, sample_json
from tests.subscriptions.conftest import SUBSCRIPTIONS, deliver, subscribe, subscriber  # noqa: F401
from webhooks.models import WebhookEvent
from webhooks.processing import process_event

pytestmark = pytest.mark.django_db

CHARTS = ("deliveries", "processing", "lag", "failures", "error-kinds", "budget", "calls", "cache", "subscriptions")
PULLS = "/api/v1/github/octocat/hello-world/pulls"


@pytest.fixture
def busy(client, staff_client, settings, fake_github, subscribe, deliver, failing_handler):  # noqa: F811
    """A service that has been at work: every chart has something to draw."""
    settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS = 1
    subscribe(name="team tools")
    disabled = subscribe(name="old hook")
    assert staff_client.patch(f"{SUBSCRIPTIONS}/{disabled['id']}", {"active": False}, format="json").status_code == 200
    accepted = [deliver("issues", "issues/opened.payload.json")["delivery_id"] for _ in range(3)]
    failed = deliver("star", "star/created.payload.json")["delivery_id"]
    duplicate = post_delivery(client, "issues", sample_json("issues/opened.payload.json"), delivery_id=accepted[0])
    assert duplicate.json()["status"] == "duplicate"
    refused = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"), secret="not-the-secret")
    assert refused.status_code == 401
    for _ in range(2):  # a MISS (a call to GitHub, a rate-limit observation), then a HIT
        assert staff_client.get(PULLS).status_code == 200
    return {"accepted": accepted, "failed": failed}


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("dash-admin", "dash@example.test", "pw-dash-0123456789")
    client.force_login(user)
    return client


def charts_of(html):
    """{chart id: its section's HTML}."""
    pattern = r'<section class="dash-card dash-[a-z]+" id="chart-([a-z-]+)" data-points="(\d+)">(.*?)</section>'
    sections = re.findall(pattern, html, re.S)
    return {name: (int(points), body) for name, points, body in sections}


def legend(body):
    """{legend name: total} of one chart."""
    entries = re.findall(r"</span>([^<]+?) <b>([^<]*)</b>", body)
    return {unescape(name).strip(): total for name, total in entries}


def hrefs(body):
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', body)]


def test_every_chart_draws_what_the_service_did(busy, admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    charts = charts_of(response.content.decode())
    assert set(charts) == set(CHARTS)
    for name, (points, _) in charts.items():
        assert points > 0, f"chart {name} drew nothing"
    assert legend(charts["deliveries"][1]) == {
        "accepted": "4",
        "duplicate": "1",
        "rejected: bad signature": "1",
    }
    assert legend(charts["processing"][1]) == {"processed": "3", "failed": "1"}
    assert legend(charts["failures"][1]) == {"failed events": "1"}
    assert legend(charts["error-kinds"][1]) == {"failed events": "1"}
    assert "RuntimeError" in charts["error-kinds"][1]
    assert legend(charts["cache"][1]) == {"HIT": "1", "MISS": "1"}
    assert legend(charts["calls"][1])["2xx"] == "1"
    assert "token, latest" in legend(charts["budget"][1])
    # Three messages delivered to "team tools"; the disabled subscription is named and highlighted.
    assert legend(charts["subscriptions"][1]) == {"delivered": "3"}
    assert 'class="dash-row dash-highlighted"' in charts["subscriptions"][1]
    assert "old hook (disabled)" in charts["subscriptions"][1]
    # Numbers on hover: every mark carries its title.
    assert re.search(r"<title>[^<]+: 1 duplicate</title>", charts["deliveries"][1])


def test_a_charts_links_lead_to_the_matching_filtered_lists(busy, admin_client):
    charts = charts_of(admin_client.get("/admin/").content.decode())
    failures = [href for href in hrefs(charts["failures"][1]) if "status=failed" in href]
    assert failures, "the failures chart links to the failed events"
    for href in failures:
        listed = admin_client.get(href)
        assert listed.status_code == 200
        page = listed.content.decode()
        assert busy["failed"] in page
        assert not any(delivery in page for delivery in busy["accepted"])
    deliveries = hrefs(charts["deliveries"][1])
    listed = admin_client.get(deliveries[0]).content.decode()
    assert all(delivery in listed for delivery in [*busy["accepted"], busy["failed"]])
    error_kind = [href for href in hrefs(charts["error-kinds"][1]) if "last_error__contains" in href][0]
    assert busy["failed"] in admin_client.get(error_kind).content.decode()


def test_the_deliveries_chart_filters_by_event(busy, admin_client):
    charts = charts_of(admin_client.get("/admin/?event=star").content.decode())
    assert legend(charts["deliveries"][1]) == {"accepted": "1"}
    assert "event=star" in hrefs(charts["deliveries"][1])[0]


def test_the_window_switch_changes_the_span_and_the_bars(busy, admin_client):
    # An hour bucket from 3 hours ago: inside 24 h and 7 d, outside 1 h.
    hour = (int(time.time()) // 3600 - 3) * 3600
    for span, start in ((3600, hour), (60, hour)):
        RollupCount.objects.create(
            series=Series.DELIVERIES, span=span, start=start, label="push", outcome="duplicate", count=5
        )
    seen = {}
    for window in ("1h", "24h", "7d"):
        html = admin_client.get(f"/admin/?window={window}").content.decode()
        assert f'class="dash-window selected" data-window="{window}"' in html
        seen[window] = legend(charts_of(html)["deliveries"][1])["duplicate"]
    assert seen == {"1h": "1", "24h": "6", "7d": "6"}


def test_reprocess_failed_is_one_post_for_staff_who_may_change_events(
    busy, admin_client, failing_handler, django_capture_on_commit_callbacks
):
    html = admin_client.get("/admin/?window=1h").content.decode()
    assert "Reprocess 1 failed event of the last 1h" in html
    assert admin_client.get("/admin/dashboard/reprocess-failed/").status_code == 405
    failing_handler["fail"] = False
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/dashboard/reprocess-failed/", {"window": "1h"})
    assert response.status_code == 302 and response["Location"] == "/admin/?window=1h"
    assert WebhookEvent.objects.get(delivery_id=busy["failed"]).status == WebhookEvent.Status.PROCESSED


def test_reprocess_takes_the_newest_failed_events_up_to_a_bound(
    busy, admin_client, failing_handler, monkeypatch, django_capture_on_commit_callbacks, client
):
    monkeypatch.setattr(services, "REPROCESS_AT_ONCE", 1)
    second = post_delivery(client, "star", sample_bytes("star/created.payload.json"))
    process_event(WebhookEvent.objects.get(delivery_id=second.json()["delivery_id"]).pk)
    html = admin_client.get("/admin/?window=1h").content.decode()
    assert "Reprocess the newest 1 of 2 failed events of the last 1h" in html
    failing_handler["fail"] = False
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/dashboard/reprocess-failed/", {"window": "1h"})
    statuses = dict(WebhookEvent.objects.filter(event="star").values_list("delivery_id", "status"))
    assert statuses == {busy["failed"]: "failed", second.json()["delivery_id"]: "processed"}


def test_who_sees_the_dashboard_and_who_may_press_reprocess(busy, client, django_user_model, admin_client):
    assert 'value="reprocess"' in admin_client.get("/admin/webhooks/webhookevent/").content.decode()
    client.logout()
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw-viewer-0123456789", is_staff=True)
    client.force_login(viewer)
    # Staff who may not see the events see the admin's index without the dashboard.
    assert client.get("/admin/").status_code == 200
    assert 'id="dashboard"' not in client.get("/admin/").content.decode()
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    html = client.get("/admin/").content.decode()
    assert 'id="dashboard"' in html and "reprocess-failed" not in html
    assert client.post("/admin/dashboard/reprocess-failed/", {"window": "24h"}).status_code == 403
    # Nor is the list's bulk action offered to them.
    listing = client.get("/admin/webhooks/webhookevent/").content.decode()
    assert 'value="reprocess"' not in listing


def test_nobody_but_staff_sees_it(client, django_user_model):
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/")["Location"].startswith("/admin/login/")
    user = django_user_model.objects.create_user("plain", password="pw-plain-0123456789")
    client.force_login(user)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.post("/admin/dashboard/reprocess-failed/")["Location"].startswith("/admin/login/")


def test_slash_leads_staff_to_the_dashboard(admin_client):
    response = admin_client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert 'id="dashboard"' in response.content.decode()


def test_its_queries_do_not_grow_with_the_data(admin_client, client, settings, django_assert_max_num_queries):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    body = sample_bytes("issues/opened.payload.json")

    def queries_for_the_dashboard():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/admin/?window=7d").status_code == 200
        return len(captured)

    post_delivery(client, "issues", body)
    few = queries_for_the_dashboard()
    for _ in range(30):
        post_delivery(client, "issues", body)
    assert queries_for_the_dashboard() == few
