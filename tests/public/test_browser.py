"""Citizens and leaders in real headless Chromium (tests.browser): the look-up page at phone width,
the dashboard's charts against the metrics API, the click-through to a dossier, the XLSX file."""

import io
import urllib.request
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from selenium.webdriver.common.by import By

from digitization.metrics import recompute_metrics
from digitization.models import SatisfactionRating
from procedures.models import DossierState
from tests.browser import PHONE
from tests.dossiers import dossier_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = DossierState
ID_LAST4 = "1234"  # tests.dossiers gives every applicant the ID number 022090001234


def click_and_wait(browser, element):
    """Click something that loads a new page, and wait until the new page is there."""
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    browser.click_to_new_page(element.click)


def submit_lookup(browser, code, last4=ID_LAST4):
    driver = browser.driver
    field = driver.find_element(By.NAME, "ma")
    field.clear()
    if code is not None:
        field.send_keys(code)
    proof = driver.find_element(By.NAME, "so_cuoi")
    proof.clear()
    proof.send_keys(last4)
    click_and_wait(browser, driver.find_element(By.ID, "lookup-button"))


def steps(browser) -> list[str]:
    items = browser.driver.find_elements(By.CSS_SELECTOR, "#timeline li")
    return [item.get_attribute("data-status") for item in items]


def test_a_citizen_looks_a_dossier_up_by_its_code(browser, world):
    dossier = dossier_in(world, S.APPROVAL)
    browser.open("/tra-cuu/")
    assert "Tra cứu hồ sơ" in browser.text()  # Vietnamese though the browser asks for English
    submit_lookup(browser, dossier.code)
    assert browser.driver.find_element(By.ID, "dossier-code").text == dossier.code
    assert steps(browser) == ["done", "done", "current", "to_come", "to_come"]
    text = browser.text()
    assert world.procedure.name in text and "Phê duyệt" in text and "Đang xử lý" in text
    assert (
        "Ngày hẹn trả kết quả" in text
        and timezone.localtime(dossier.due_at).strftime("%d/%m/%Y") in text
    )
    assert dossier.applicant_full_name not in text
    browser.shot("public-lookup-desktop")


def test_the_qr_link_opens_the_page_and_the_timeline_fits_a_phone(browser, world):
    dossier = dossier_in(world, S.SUPPLEMENT)
    browser.size(*PHONE)
    browser.open(f"/tra-cuu/?ma={dossier.code}")
    assert browser.driver.find_element(By.NAME, "ma").get_attribute("value") == dossier.code
    browser.driver.find_element(By.NAME, "so_cuoi").send_keys(ID_LAST4)
    click_and_wait(browser, browser.driver.find_element(By.ID, "lookup-button"))
    assert steps(browser) == ["paused", "to_come", "to_come", "to_come", "to_come"], browser.text()
    assert "Thiếu giấy tờ" in browser.driver.find_element(By.ID, "supplement").text
    assert browser.horizontal_overflow() == 0
    browser.shot("public-lookup-phone")
    browser.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    browser.shot("public-lookup-phone-bottom")


def test_a_wrong_code_and_a_wrong_id_digit_get_the_same_answer(browser, world):
    dossier = dossier_in(world, S.APPRAISAL)
    browser.size(*PHONE)
    browser.open("/tra-cuu/")
    submit_lookup(browser, dossier.code[:-1] + ("9" if dossier.code[-1] != "9" else "8"))
    wrong_code = browser.driver.find_element(By.ID, "lookup-error").text
    browser.shot("public-lookup-not-found-phone")
    submit_lookup(browser, dossier.code, last4="1235")
    wrong_digit = browser.driver.find_element(By.ID, "lookup-error").text
    assert wrong_code == wrong_digit
    assert wrong_code.startswith("Không tìm thấy hồ sơ")
    assert not browser.driver.find_elements(By.ID, "result")
    assert browser.horizontal_overflow() == 0


def test_a_citizen_rates_a_completed_dossier_once(browser, world):
    dossier = dossier_in(world, S.COMPLETED, at=timezone.now() - timedelta(hours=3))
    browser.size(*PHONE)
    browser.open(f"/tra-cuu/?ma={dossier.code}")
    browser.driver.find_element(By.NAME, "so_cuoi").send_keys(ID_LAST4)
    click_and_wait(browser, browser.driver.find_element(By.ID, "lookup-button"))
    assert steps(browser) == ["done"] * 5
    satisfied = browser.driver.find_element(By.CSS_SELECTOR, "input[name=muc_do][value=satisfied]")
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", satisfied)
    satisfied.click()
    assert satisfied.is_selected()
    browser.driver.find_element(By.NAME, "y_kien").send_keys("Cán bộ hướng dẫn tận tình")
    browser.shot("public-rating-form-phone")
    click_and_wait(browser, browser.driver.find_element(By.ID, "send-rating"))
    assert "Cảm ơn" in browser.driver.find_element(By.ID, "rating-thanks").text
    assert not browser.driver.find_elements(By.ID, "rating")  # no second form
    rating = SatisfactionRating.objects.get(dossier=dossier)
    assert (rating.rating, rating.comment) == ("satisfied", "Cán bộ hướng dẫn tận tình")

    browser.open(f"/tra-cuu/?ma={dossier.code}")  # later, looking it up again
    browser.driver.find_element(By.NAME, "so_cuoi").send_keys(ID_LAST4)
    click_and_wait(browser, browser.driver.find_element(By.ID, "lookup-button"))
    assert not browser.driver.find_elements(By.ID, "rating")
    assert "Bạn đã đánh giá" in browser.driver.find_element(By.ID, "rated").text
    assert SatisfactionRating.objects.filter(dossier=dossier).count() == 1
    assert browser.horizontal_overflow() == 0


def full_shot(browser, name):
    """The whole page at desktop width (the window grown to the document's height)."""
    height = browser.driver.execute_script("return document.documentElement.scrollHeight")
    browser.size(1366, min(height + 120, 6000))
    browser.shot(name)
    browser.size(1366, 900)


def _chart_values(browser, key) -> list[str]:
    chart = browser.driver.find_element(By.CSS_SELECTOR, f'svg[data-chart="{key}"]')
    return chart.get_attribute("data-values").split(",")


def _fetch(browser, path) -> bytes:
    cookie = browser.driver.get_cookie(settings.SESSION_COOKIE_NAME)
    request = urllib.request.Request(
        browser.base_url + path, headers={"Cookie": f"{cookie['name']}={cookie['value']}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return response.read()


def test_a_leader_reads_the_dashboard_down_to_a_late_dossier_and_downloads_it(browser, world):
    late = dossier_in(world, S.SIGNING, at=timezone.now() - timedelta(days=40))
    dossier_in(world, S.COMPLETED, at=timezone.now() - timedelta(days=20))
    recompute_metrics()
    start = (timezone.localdate() - timedelta(days=60)).strftime("%d/%m/%Y")
    end = timezone.localdate().strftime("%d/%m/%Y")
    browser.login_as(Client(), world.leader)
    browser.open("/admin/")
    click_and_wait(browser, browser.driver.find_element(By.ID, "dashboard-link"))
    driver = browser.driver
    driver.find_element(By.NAME, "start").clear()
    driver.find_element(By.NAME, "start").send_keys(start)
    driver.find_element(By.NAME, "end").clear()
    driver.find_element(By.NAME, "end").send_keys(end)
    click_and_wait(browser, driver.find_element(By.CSS_SELECTOR, "#period-form button"))

    charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 9  # seven trends, the ranking, the blocks
    api = Client()
    api.force_login(world.leader)
    period = {
        "from": (timezone.localdate() - timedelta(days=60)).isoformat(),
        "to": timezone.localdate().isoformat(),
    }
    ranking = api.get("/api/v1/metrics/rankings/", period).json()["results"]
    assert _chart_values(browser, "ranking-score") == [f"{r['value']:.2f}" for r in ranking]
    trend = api.get("/api/v1/metrics/trend/", {**period, "indicator": "on_time"}).json()
    assert _chart_values(browser, "trend-on_time") == [
        "" if p["value"] is None else f"{p['value']:.2f}" for p in trend["results"]
    ]
    row = driver.find_element(By.CSS_SELECTOR, f'tr[data-unit="{world.unit.code}"]')
    assert row.find_elements(By.TAG_NAME, "td")[-1].text == f"{ranking[0]['value']:.2f}".replace(
        ".", ","
    )
    assert "English" not in browser.text() and "Download" not in browser.text()
    full_shot(browser, "dashboard-desktop")

    xlsx = _fetch(
        browser,
        driver.find_element(By.ID, "export-ranking-xlsx")
        .get_attribute("href")
        .removeprefix(browser.base_url),
    )
    sheet = load_workbook(io.BytesIO(xlsx)).active
    rows = list(sheet.values)
    assert rows[0][:2] == ("Xếp hạng", "Giá trị chỉ số")
    assert [r[1] for r in rows[1:]] == [r["value"] for r in ranking]

    click_and_wait(browser, row.find_element(By.TAG_NAME, "a"))
    assert driver.find_element(By.ID, "unit-title").text.startswith(world.unit.name)
    late_row = driver.find_element(By.CSS_SELECTOR, f'tr[data-dossier="{late.code}"]')
    full_shot(browser, "dashboard-unit-desktop")
    click_and_wait(browser, late_row.find_element(By.TAG_NAME, "a"))
    assert driver.find_element(By.ID, "dossier-title").text.endswith(late.code)
    masked = driver.find_element(By.ID, "applicant-id").text
    assert masked == "*********234"
    assert late.applicant_id_number not in browser.text()
    full_shot(browser, "dashboard-dossier-desktop")


def test_the_dashboard_fits_a_phone(browser, world):
    dossier_in(world, S.COMPLETED, at=timezone.now() - timedelta(days=2))
    recompute_metrics()
    browser.login_as(Client(), world.leader)
    browser.size(*PHONE)
    browser.open("/dashboard/?period=month")
    assert browser.driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert browser.horizontal_overflow() == 0
    browser.shot("dashboard-phone")
    browser.open(f"/dashboard/don-vi/{world.unit.code}/?period=month")
    assert browser.horizontal_overflow() == 0
    browser.shot("dashboard-unit-phone")
