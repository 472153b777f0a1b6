"""The subscriptions API and admin: the secret shown once and stored encrypted, bad input named, SSRF refused."""

import base64
import socket

import pytest
from django.db import connection

from subscriptions.models import Subscription
from tests.subscriptions.conftest import SUBSCRIPTIONS


def test_the_secret_is_shown_once_and_stored_encrypted(subscribe, staff_client, admin_client):
    created = subscribe()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    shown = [
        staff_client.get(f"{SUBSCRIPTIONS}/{created['id']}").content.decode(),
        staff_client.get(SUBSCRIPTIONS).content.decode(),
        admin_client.get(f"/admin/subscriptions/subscription/{created['id']}/change/").content.decode(),
        admin_client.get("/admin/subscriptions/subscription/").content.decode(),
    ]
    assert all(secret not in page and secret.removeprefix("whsec_") not in page for page in shown)
    assert "secret" not in staff_client.get(f"{SUBSCRIPTIONS}/{created['id']}").json()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM subscriptions WHERE id = %s", [created["id"]])
        stored = cursor.fetchone()[0]
    assert secret not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert Subscription.objects.get(pk=created["id"]).secret == secret


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"url": "example.com/hook"}, "url", "Enter a valid URL."),
        ({"url": "ftp://example.com/hook"}, "url", "must be an https URL"),
        ({"url": "https://user:pw@example.com/hook"}, "url", "must not carry a user name or password"),
        ({"url": "https://10.0.0.7/hook"}, "url", "resolves to a non-public address (10.0.0.7)"),
        ({"url": "https://169.254.169.254/latest/meta-data"}, "url", "non-public address (169.254.169.254)"),
        ({"url": "https://[::ffff:127.0.0.1]/hook"}, "url", "non-public address"),
        ({"url": "https://[fd00:ec2::254]/hook"}, "url", "non-public address (fd00:ec2::254)"),
        ({"url": "https://100.100.100.200/hook"}, "url", "non-public address (100.100.100.200)"),
        ({"url": "https://no-such-host.invalid/hook"}, "url", "does not resolve"),
        ({"events": ["pull_requests"]}, "events", "'pull_requests' is not a GitHub event."),
        ({"events": []}, "events", "Give at least one GitHub event name"),
        ({"actions": ["pull_request"]}, "actions", 'is not "event.action"'),
        ({"repositories": ["octo-org/[abc"]}, "repositories", 'is not an "owner/name" glob'),
        ({"repositories": ["octo-org"]}, "repositories", 'is not an "owner/name" glob'),
        ({"branches": ["main branch"]}, "branches", "is not a branch glob"),
        ({"max_per_second": 0}, "max_per_second", "greater than or equal to 1"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(staff_client, subscriber, change, field, message):
    body = {"name": "x", "url": "https://127.0.0.1/hook", "events": ["push"], **change}
    response = staff_client.post(SUBSCRIPTIONS, body, format="json")
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert detail.startswith(f"{field}:") and message in detail, detail
    assert not Subscription.objects.exists()


def test_loopback_and_plain_http_only_inside_the_allowed_networks(staff_client, settings):
    settings.SUBSCRIPTION_ALLOWED_NETWORKS = []
    body = {"name": "x", "url": "http://127.0.0.1:8080/hook", "events": ["push"]}
    refused = staff_client.post(SUBSCRIPTIONS, body, format="json")
    assert refused.status_code == 400 and "non-public address (127.0.0.1)" in refused.json()["detail"]
    settings.SUBSCRIPTION_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert staff_client.post(SUBSCRIPTIONS, body, format="json").status_code == 201


def test_plain_http_to_a_public_address_is_refused(staff_client, subscriber, monkeypatch):
    # A host that resolves to a public address (the resolver answers as DNS would).
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: public)
    body = {"name": "x", "url": "http://hooks.example.com/in", "events": ["push"]}
    response = staff_client.post(SUBSCRIPTIONS, body, format="json")
    assert response.status_code == 400 and "must be https" in response.json()["detail"]
    body["url"] = "https://hooks.example.com/in"
    assert staff_client.post(SUBSCRIPTIONS, body, format="json").status_code == 201


def test_the_api_is_for_staff_only(client, subscribe):
    subscription = subscribe()
    assert client.get(SUBSCRIPTIONS).status_code in (401, 403)
    assert client.post(f"{SUBSCRIPTIONS}/{subscription['id']}/rotate-secret").status_code in (401, 403)


def test_the_admin_creates_a_subscription_and_shows_its_secret_once(admin_client, subscriber):
    response = admin_client.post(
        "/admin/subscriptions/subscription/add/",
        {
            "name": "from the admin",
            "url": subscriber.url,
            "events": '["push"]',
            "actions": "[]",
            "repositories": '["octo-org/*"]',
            "branches": "[]",
            "active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    subscription = Subscription.objects.get(name="from the admin")
    assert subscription.secret in response.content.decode()  # the one time it is shown
    page = admin_client.get(f"/admin/subscriptions/subscription/{subscription.pk}/change/").content.decode()
    assert subscription.secret not in page

    bad = admin_client.post(
        "/admin/subscriptions/subscription/add/",
        {
            "name": "bad",
            "url": subscriber.url,
            "events": '["nope"]',
            "actions": "[]",
            "repositories": "[]",
            "branches": "[]",
        },
    )
    assert bad.status_code == 200 and "is not a GitHub event" in bad.content.decode()


def test_metrics_count_attempts_and_the_backlog_without_urls(subscriber, subscribe, deliver, staff_client):
    from subscriptions.models import Message
    from tests.subscriptions.conftest import Reply

    subscribe()
    subscriber.default = Reply(500)
    deliver("issues", "issues/opened.payload.json")
    assert Message.objects.filter(status="pending").count() == 1
    text = staff_client.get("/metrics").content.decode()
    assert 'subscription_attempts_total{result="http_error"}' in text
    assert 'subscription_messages_total{outcome="retrying"}' in text
    assert 'subscription_messages_backlog{status="pending",subscription_state="active"} 1.0' in text
    assert "subscription_attempt_duration_seconds_bucket" in text
    assert subscriber.url not in text and "127.0.0.1:" not in text


@pytest.mark.parametrize(
    ("setting", "value", "error"),
    [
        ("SUBSCRIPTION_ALLOWED_NETWORKS", ["10.0.0.0/8", "not-a-network"], "subscriptions.E001"),
        ("SUBSCRIPTION_RETRY_SCHEDULE", [], "subscriptions.E002"),
        ("SUBSCRIPTION_RETRY_SCHEDULE", [0, -5], "subscriptions.E002"),
        ("SUBSCRIPTION_TIMEOUT_SECONDS", 0, "subscriptions.E003"),
    ],
)
def test_unusable_settings_stop_start_up_with_a_clear_error(settings, setting, value, error):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    setattr(settings, setting, value)
    with pytest.raises(SystemCheckError, match=error):
        call_command("check")


def test_max_per_second_is_one_counter_for_every_worker(settings, subscriber, subscribe):
    """Each worker asks the shared cache; here two "workers" (separate calls, no shared state but the cache)."""
    import time

    from subscriptions import throttle

    subscription = Subscription.objects.get(pk=subscribe(max_per_second=3)["id"])
    second = int(time.time()) + 10  # a second nobody else counts in
    taken = [throttle.take(subscription, second + 0.1) for _ in range(5)]
    taken += [throttle.take(Subscription.objects.get(pk=subscription.pk), second + 0.9) for _ in range(2)]
    assert taken == [True, True, True, False, False, False, False]
    assert throttle.take(subscription, second + 1.0) is True  # the next second
