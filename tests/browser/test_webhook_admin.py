"""Staff in a real browser: a config made by ticking events, its buttons against the GitHub simulator,
its deliveries, an event's Reprocess button; and who may press them."""

import json
import uuid

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot
from tests.conftest import delivery_headers, sample_bytes
from webhooks.models import WebhookConfig, WebhookEvent

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HOOK_SECRET = "browser-config-secret-0123456789"


def messages(browser):
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]


def click_and_wait(browser, element):
    """Click, then wait until the next page has replaced this one (a click does not wait for it)."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 15).until(staleness_of(page))
    browser.find_element(By.ID, "site-name")  # the new page is there


def press(browser, name):
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#hook-buttons input[name='{name}']"))


def test_a_config_made_by_ticking_events_synced_pinged_and_its_deliveries(browser, fake_github, staff_client, settings):
    settings.GITHUB_WEBHOOK_SECRET = ""
    browser.get(f"{browser.base_url}/admin/webhooks/webhookconfig/add/")
    browser.find_element(By.NAME, "repository").send_keys("octocat/hello-world")
    browser.find_element(By.NAME, "url").send_keys("https://hooks.example.test/api/v1/webhooks/github")
    for name in ("push", "pull_request", "issues"):
        browser.find_element(By.CSS_SELECTOR, f"input[name='events'][value='{name}']").click()
    browser.find_element(By.NAME, "new_secret").send_keys(HOOK_SECRET)
    screenshot(browser, "config-add-events")
    click_and_wait(browser, browser.find_element(By.NAME, "_continue"))

    [config] = staff_client.get("/api/v1/webhooks/configs").json()["results"]
    assert config["events"] == ["issues", "pull_request", "push"]
    assert browser.find_element(By.ID, "receiver-url").text == f"{browser.base_url}/api/v1/webhooks/github"
    assert "not created yet" in browser.find_element(By.ID, "hook-status").text

    press(browser, "sync")
    hook_id = WebhookConfig.objects.get().hook_id
    assert messages(browser) == [f"Created the hook on GitHub (hook id {hook_id})."]
    assert fake_github.requests_to("/repos/octocat/hello-world/hooks", "POST")[0].body["events"] == [
        "issues",
        "pull_request",
        "push",
    ]
    assert f"hook {hook_id}, last synced" in browser.find_element(By.ID, "hook-status").text

    press(browser, "ping")
    assert messages(browser) == ["GitHub was asked to send a ping; it appears under recent deliveries."]
    assert fake_github.requests_to(f"/repos/octocat/hello-world/hooks/{hook_id}/pings", "POST")

    press(browser, "redeliver")
    [report] = messages(browser)
    assert report.startswith("Last 24 h: ") and report.endswith("redelivered.")
    assert fake_github.requests_to(f"/repos/octocat/hello-world/hooks/{hook_id}/deliveries", "GET")

    # A delivery signed with the config's secret, as GitHub would send it.
    body = sample_bytes("issues/opened.payload.json").replace(b"Codertocat/Hello-World", b"octocat/hello-world")
    headers = {**delivery_headers("issues", body, secret=HOOK_SECRET, delivery_id=str(uuid.uuid4()))}
    headers["Content-Type"] = "application/json"
    receipt = requests.post(f"{browser.base_url}/api/v1/webhooks/github", data=body, headers=headers, timeout=10)
    assert receipt.status_code == 202, receipt.text
    browser.refresh()
    rows = browser.find_elements(By.CSS_SELECTOR, "#recent-deliveries tbody tr")
    assert receipt.json()["delivery_id"] in rows[0].text and "issues.opened" in rows[0].text
    screenshot(browser, "config-change")
    # The admin's dark theme (the visitor's preference) draws the same page readably.
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    browser.refresh()
    panel = browser.find_element(By.ID, "hook-panel")
    assert panel.value_of_css_property("border-top-color") != "rgba(0, 0, 0, 0)"
    screenshot(browser, "config-change-dark")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    rows = browser.find_elements(By.CSS_SELECTOR, "#recent-deliveries tbody tr")

    # Its event page: what GitHub sent apart from what was done; Reprocess on the page.
    click_and_wait(browser, rows[0].find_element(By.TAG_NAME, "a"))
    headings = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "fieldset h2")]
    assert headings[:2] == ["Delivery (what GitHub sent)", "Processing (what the service did)"]
    event = WebhookEvent.objects.get(delivery_id=receipt.json()["delivery_id"])
    assert event.attempts == 1
    click_and_wait(browser, browser.find_element(By.ID, "reprocess"))
    assert messages(browser) == ["The event was queued for processing again."]
    again = WebhookEvent.objects.get(pk=event.pk)
    # Processed once more; a reprocess gets the whole retry budget again, so the count restarts at 1.
    assert again.status == "processed" and again.processed_at > event.processed_at and again.attempts == 1
    screenshot(browser, "event-change")


def test_a_github_refusal_is_shown_in_words(browser, fake_github, settings):
    config = WebhookConfig.objects.create(
        repository="octocat/nowhere", url="https://h.example.test/x", secret=HOOK_SECRET, events=["push"]
    )
    browser.get(f"{browser.base_url}/admin/webhooks/webhookconfig/{config.pk}/change/")
    press(browser, "sync")
    [text] = messages(browser)
    assert text.startswith("GitHub refused: Not Found (HTTP 404)")
    assert "last sync failed: Not Found" in browser.find_element(By.ID, "hook-status").text


def test_rotating_the_secret_shows_the_new_one_once(browser, fake_github):
    config = WebhookConfig.objects.create(
        repository="octocat/hello-world", url="https://h.example.test/x", secret=HOOK_SECRET, events=["push"]
    )
    browser.get(f"{browser.base_url}/admin/webhooks/webhookconfig/{config.pk}/change/")
    press(browser, "rotate-secret")
    [text] = messages(browser)
    config.refresh_from_db()
    assert config.secret in text and config.previous_secret == HOOK_SECRET
    browser.refresh()
    assert config.secret not in browser.page_source


def test_repository_page_links_its_state_and_github(browser, client, settings):
    from repositories.models import Repository
    from tests.conftest import post_delivery

    settings.GITHUB_WEBHOOK_SECRET = "global-secret-0123456789"
    response = post_delivery(
        client, "pull_request", sample_bytes("pull_request/opened.payload.json"), secret="global-secret-0123456789"
    )
    assert response.status_code == 202
    repository = Repository.objects.get()
    browser.get(f"{browser.base_url}/admin/repositories/repository/{repository.pk}/change/")
    page = browser.page_source
    assert f"https://github.com/{repository.full_name}" in page
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "1 pull requests"))
    assert f"repository__id__exact={repository.pk}" in browser.current_url
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 1
    screenshot(browser, "repository-change")


def test_the_buttons_need_staff_with_change_permission(client, django_user_model, fake_github):
    from django.contrib.auth.models import Permission

    config = WebhookConfig.objects.create(
        repository="octocat/hello-world", url="https://h.example.test/x", secret=HOOK_SECRET, events=["push"]
    )
    event = WebhookEvent.objects.create(
        delivery_id=str(uuid.uuid4()), event="push", payload=json.loads("{}"), received_at="2026-11-30T00:00:00Z"
    )
    hook_url = f"/admin/webhooks/webhookconfig/{config.pk}/hook/sync/"
    reprocess_url = f"/admin/webhooks/webhookevent/{event.pk}/reprocess/"

    # Anonymous: to the login page; signed in but not staff: 403.
    assert client.post(hook_url).status_code == 302
    outsider = django_user_model.objects.create_user("outsider", password="outsider-password-0123")
    client.force_login(outsider)
    assert client.post(hook_url).status_code == 403
    assert client.post(reprocess_url).status_code == 403
    viewer = django_user_model.objects.create_user("viewer", password="viewer-password-0123", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_webhookconfig"), Permission.objects.get(codename="view_webhookevent")
    )
    client.force_login(viewer)
    assert client.get(f"/admin/webhooks/webhookconfig/{config.pk}/change/").status_code == 200
    assert client.post(hook_url).status_code == 403
    assert client.post(reprocess_url).status_code == 403
    assert client.get(hook_url).status_code == 405
    assert not fake_github.requests_to("/repos/octocat/hello-world/hooks", "POST")
