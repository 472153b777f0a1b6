"""A real headless Chromium (Debian's chromium and chromium-driver, deploy/install-test-tools.sh) on a live server."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", ROOT / "test-artifacts"))
PASSWORD = "browser-test-password-0123"


@pytest.fixture(scope="session")
def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (binary and driver_path):
        pytest.fail("chromium and chromedriver are needed: run `sh deploy/install-test-tools.sh` (make test does)")
    options = Options()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium, live_server, django_user_model):
    """The browser, logged in to the admin as a superuser."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    django_user_model.objects.create_superuser("browser-admin", "browser-admin@example.test", PASSWORD)
    chromium.delete_all_cookies()
    chromium.get(f"{live_server.url}/admin/login/")
    chromium.find_element(By.NAME, "username").send_keys("browser-admin")
    chromium.find_element(By.NAME, "password").send_keys(PASSWORD)
    login_page = chromium.find_element(By.TAG_NAME, "html")
    chromium.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(chromium, 15).until(staleness_of(login_page))
    assert chromium.find_element(By.ID, "site-name")
    chromium.base_url = live_server.url
    return chromium


def screenshot(driver, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
