"""The browser set-up itself: Debian's Chromium renders a live-server page with its static files."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_chromium_renders_the_admin_login_with_its_stylesheet(browser):
    browser.open("/admin/login/")

    password = browser.driver.find_element("name", "password")
    assert password.get_attribute("type") == "password"
    header_colour = browser.driver.execute_script(
        "return getComputedStyle(document.getElementById('header')).backgroundColor;"
    )
    assert header_colour not in ("", "rgba(0, 0, 0, 0)")  # admin CSS served by the live server
    assert browser.shot("setup-admin-login").stat().st_size > 1000
