"""The staff dashboard in a real browser: charts drawn with data, numbers on hover, the window switch,
the event filter, and a bar's link to the filtered list; screenshots in light and dark themes."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import screenshot
from tests.dashboard.test_dashboard import CHARTS, busy  # noqa: F401
from tests.subscriptions.conftest import deliver, subscribe, subscriber  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for_next_page(browser, action):
    page = browser.find_element(By.TAG_NAME, "html")
    action()
    WebDriverWait(browser, 15).until(staleness_of(page))
    browser.find_element(By.ID, "site-name")


def marks(browser, chart):
    return browser.find_elements(By.CSS_SELECTOR, f"#chart-{chart} svg .dash-mark")


def test_staff_read_the_dashboard_switch_windows_and_follow_a_chart(browser, busy):  # noqa: F811
    browser.get(f"{browser.base_url}/")  # / leads staff to the dashboard
    assert browser.current_url == f"{browser.base_url}/admin/"
    for chart in CHARTS:
        assert marks(browser, chart), f"chart {chart} has no data points"
    # The numbers on hover are the marks' SVG titles.
    titles = [
        mark.find_element(By.TAG_NAME, "title").get_attribute("textContent") for mark in marks(browser, "deliveries")
    ]
    assert any(title.endswith("4 accepted") for title in titles), titles
    screenshot(browser, "dashboard-24h")

    wait_for_next_page(
        browser, lambda: browser.find_element(By.CSS_SELECTOR, "a.dash-window[data-window='1h']").click()
    )
    assert browser.current_url.endswith("?window=1h")
    assert browser.find_element(By.CSS_SELECTOR, "a.dash-window.selected").text == "1h"
    assert marks(browser, "deliveries")
    screenshot(browser, "dashboard-1h")

    events = Select(browser.find_element(By.ID, "dash-event"))
    wait_for_next_page(browser, lambda: events.select_by_value("star"))
    assert "event=star" in browser.current_url and "window=1h" in browser.current_url
    legend = browser.find_element(By.CSS_SELECTOR, "#chart-deliveries .dash-legend").text
    assert legend == "accepted 1"

    # A failures bar leads to the failed events of its minute.
    bar = browser.find_element(By.CSS_SELECTOR, "#chart-failures svg a")
    wait_for_next_page(
        browser,
        lambda: browser.execute_script(
            "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
            bar.find_element(By.TAG_NAME, "rect"),
        ),
    )
    assert "/admin/webhooks/webhookevent/" in browser.current_url and "status=failed" in browser.current_url
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1 and busy["failed"] in rows[0].text
    screenshot(browser, "dashboard-failed-list")

    browser.get(f"{browser.base_url}/admin/?window=24h")
    browser.execute_script("localStorage.setItem('theme', 'dark')")
    browser.refresh()
    assert browser.execute_script("return document.documentElement.dataset.theme") == "dark"
    assert marks(browser, "deliveries")
    screenshot(browser, "dashboard-dark")
    browser.execute_script("localStorage.removeItem('theme')")


def test_anonymous_visitors_get_the_login_page(chromium, live_server):
    chromium.delete_all_cookies()
    chromium.get(f"{live_server.url}/")
    assert chromium.current_url.startswith(f"{live_server.url}/admin/login/")
    assert not chromium.find_elements(By.ID, "dashboard")
