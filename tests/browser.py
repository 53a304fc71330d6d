"""Real headless Chromium for the pages people use (Debian's `chromium` + `chromium-driver`).

Tests marked `browser` get the `browser` fixture: a Selenium driver on Debian's Chromium, pointed
at pytest-django's `live_server`. Nothing is downloaded at run time (the driver's path is given, so
Selenium Manager is never asked). The browser announces English, so a page that is Vietnamese by
default proves it. Screenshots go to `SCREENSHOT_DIR` (default `artifacts/screenshots/`, not
committed).
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "artifacts/screenshots"))
DESKTOP = (1366, 900)
PHONE = (390, 844)


def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"needs Debian's chromium and chromium-driver ({path} not found)"
    return None


class Browser:
    """A thin layer over the driver: open a path of the live server, resize, save screenshots."""

    def __init__(self, driver, base_url: str):
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str):
        self.driver.get(self.base_url + path)
        return self

    def size(self, width: int, height: int):
        self.driver.set_window_size(width, height)
        return self

    def login_as(self, client, user):
        """Log `user` in through Django's test client and hand its session cookie to the browser."""
        from django.conf import settings

        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.open("/robots.txt")  # any page of the live server's host, so the cookie can be set
        self.driver.add_cookie({"name": cookie.key, "value": cookie.value, "path": "/"})
        return self

    def click_to_new_page(self, click, timeout: float = 30):
        """Do `click`, then wait until the window holds the new, complete page it leads to.

        The old page carries a mark that the new one lacks; asked through script, never through
        an element of the old page (a node of a page being replaced can make Chromium answer
        "Node with given id does not belong to the document")."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def loaded(driver) -> bool:
            try:
                return driver.execute_script(
                    "return window.__oldPage === undefined && document.readyState === 'complete'"
                )
            except WebDriverException:  # the window is between two documents
                return False

        self.driver.execute_script("window.__oldPage = true")
        click()
        WebDriverWait(self.driver, timeout).until(loaded)

    def text(self) -> str:
        return self.driver.find_element("tag name", "body").text

    def shot(self, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the window (0 = no horizontal scroll)."""
        return self.driver.execute_script(
            "return Math.max(0, document.documentElement.scrollWidth - window.innerWidth);"
        )


@pytest.fixture(scope="session")
def _chromium_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=en-US",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def browser(_chromium_driver, live_server):
    """Headless Chromium at desktop size on the live server, no cookies from an earlier test."""
    driver = _chromium_driver
    driver.delete_all_cookies()
    driver.set_window_size(*DESKTOP)
    yield Browser(driver, live_server.url)
    driver.delete_all_cookies()
