import pytest

from tests.conftest import TEST_SECRET, post_delivery, sample_bytes
from webhooks.models import WebhookConfig, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.test", "pw-admin-123456")
    client.force_login(user)
    return client


def test_config_admin_never_shows_the_secret(staff_admin, webhook_config):
    webhook_config.previous_secret = "previous-secret-value-9"
    webhook_config.save()
    pages = [
        staff_admin.get("/admin/webhooks/webhookconfig/"),
        staff_admin.get(f"/admin/webhooks/webhookconfig/{webhook_config.pk}/change/"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert TEST_SECRET not in html
        assert "previous-secret-value-9" not in html
    assert 'type="password"' in pages[1].content.decode()


def test_adding_a_config_generates_a_strong_secret(staff_admin):
    response = staff_admin.post(
        "/admin/webhooks/webhookconfig/add/",
        {
            "repository": "octo-org/octo-repo",
            "url": "https://hooks.example.test/hook",
            "all_events": "on",
            "content_type": "json",
            "active": "on",
            "new_secret": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    config = WebhookConfig.objects.get()
    assert len(config.secret) >= 32


def test_changing_the_secret_in_admin_rotates_it(staff_admin, webhook_config):
    response = staff_admin.post(
        f"/admin/webhooks/webhookconfig/{webhook_config.pk}/change/",
        {
            "repository": webhook_config.repository,
            "url": webhook_config.url,
            "all_events": "on",
            "content_type": "json",
            "active": "on",
            "new_secret": "brand-new-secret-value",
        },
    )
    assert response.status_code == 302
    webhook_config.refresh_from_db()
    assert webhook_config.secret == "brand-new-secret-value"
    assert webhook_config.previous_secret == TEST_SECRET


def test_event_admin_lists_filters_and_shows_pretty_payload(staff_admin, webhook_config):
    delivery_id = "0e5c6a70-8f47-11ee-9a3e-4f6a1b2c3d4e"
    post_delivery(staff_admin, "issues", sample_bytes("issues/opened.payload.json"), delivery_id=delivery_id)
    event = WebhookEvent.objects.get()
    listing = staff_admin.get("/admin/webhooks/webhookevent/", {"status__exact": "pending", "q": delivery_id})
    assert listing.status_code == 200
    assert delivery_id in listing.content.decode()
    detail = staff_admin.get(f"/admin/webhooks/webhookevent/{event.pk}/change/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "<pre>{\n  &quot;" in html
    assert "\n  &quot;action&quot;: &quot;opened&quot;," in html
    assert TEST_SECRET not in html
    assert staff_admin.get("/admin/webhooks/webhookevent/add/").status_code == 403


def test_config_admin_shows_the_last_delivery_and_sorts_by_it(staff_admin, webhook_config):
    from django.utils import formats, timezone

    assert staff_admin.get("/admin/webhooks/webhookconfig/add/").status_code == 200
    assert post_delivery(staff_admin, "issues", sample_bytes("issues/opened.payload.json")).status_code == 202
    received_at = WebhookEvent.objects.get().received_at
    page = staff_admin.get("/admin/webhooks/webhookconfig/?o=-6")  # the sixth column, newest first
    assert page.status_code == 200
    assert formats.localize(timezone.template_localtime(received_at)) in page.content.decode()
    change = staff_admin.get(f"/admin/webhooks/webhookconfig/{webhook_config.pk}/change/")
    assert formats.localize(timezone.template_localtime(received_at)) in change.content.decode()


def test_the_config_form_stores_ticked_events_as_the_api_does(staff_admin):
    base = {"url": "https://hooks.example.test/hook", "content_type": "json", "active": "on", "new_secret": ""}
    ticked = staff_admin.post(
        "/admin/webhooks/webhookconfig/add/", {**base, "repository": "octo-org/a", "events": ["push", "issues", "push"]}
    )
    assert ticked.status_code == 302
    assert WebhookConfig.objects.get(repository="octo-org/a").events == ["issues", "push"]
    everything = staff_admin.post(
        "/admin/webhooks/webhookconfig/add/",
        {**base, "repository": "octo-org/b", "all_events": "on", "events": ["push"]},
    )
    assert everything.status_code == 302
    assert WebhookConfig.objects.get(repository="octo-org/b").events == ["*"]
    nothing = staff_admin.post("/admin/webhooks/webhookconfig/add/", {**base, "repository": "octo-org/c"})
    assert (
        nothing.status_code == 200 and "Tick at least one event, or &quot;All events&quot;." in nothing.content.decode()
    )
    unknown = staff_admin.post(
        "/admin/webhooks/webhookconfig/add/", {**base, "repository": "octo-org/d", "events": ["not_an_event"]}
    )
    assert unknown.status_code == 200 and "Select a valid choice" in unknown.content.decode()
    # The groups on the page hold every GitHub event once.
    page = staff_admin.get("/admin/webhooks/webhookconfig/add/").content.decode()
    from webhooks.constants import GITHUB_EVENT_GROUPS, GITHUB_EVENTS

    assert all(f'value="{name}"' in page for name in GITHUB_EVENTS)
    assert all(group in page for group in GITHUB_EVENT_GROUPS)
