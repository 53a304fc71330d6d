"""The desk in real headless Chromium: a dossier's whole life through the desk's own pages.

Screenshots of every page go to artifacts/screenshots/desk-*.png (desktop and 390 px wide).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from procedures import services
from procedures.calendar import get_calendar
from procedures.models import Dossier, DossierState
from tests.desk.pdf import write_pdf
from tests.dossiers import dossier_in, new_dossier
from tests.pdf import pdf_text

S = DossierState
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def name_staff(world):
    for user, first, last in (
        (world.clerk, "Lan", "Nguyễn Thị"),
        (world.specialist, "Minh", "Trần Văn"),
        (world.approver, "Hùng", "Phạm Quốc"),
        (world.leader, "Dũng", "Lê Văn"),
        (world.other_clerk, "Hoa", "Đỗ Thị"),
    ):
        user.first_name, user.last_name = first, last
        user.save()


def full_shot(browser, name):
    """The whole page, not only the window (Chromium's DevTools screenshot)."""
    import base64

    from tests.browser import SCREENSHOT_DIR

    data = browser.driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"captureBeyondViewport": True, "fromSurface": True}
    )
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOT_DIR / f"{name}.png").write_bytes(base64.b64decode(data["data"]))


def overflowing(browser) -> list[str]:
    """Elements reaching past the visible width (the scrollbar included), for a clear failure."""
    return browser.driver.execute_script(
        "const w = document.documentElement.clientWidth; const out = [];"
        "document.querySelectorAll('body *').forEach(e => {"
        "  const r = e.getBoundingClientRect();"
        "  if (r.width && r.right > w + 0.5) out.push(e.tagName + '.' + e.className);"
        "}); return out.slice(0, 10);"
    )


def css(browser, selector):
    return browser.driver.find_element(By.CSS_SELECTOR, selector)


def wait_for_new_page(browser, click):
    browser.click_to_new_page(click)


def press_and_wait(browser, selector):
    """Press the button `selector` of the loaded page and wait for the page it leads to; the
    button is looked up when the page is complete (a node of a page still settling can be
    replaced between finding it and clicking it)."""
    WebDriverWait(browser.driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    button = WebDriverWait(browser.driver, 20).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, selector))
    )
    wait_for_new_page(browser, button.click)


def open_link(browser, text):
    wait_for_new_page(browser, browser.driver.find_element(By.LINK_TEXT, text).click)


def switch_user(browser, client, user):
    browser.driver.delete_all_cookies()
    client.logout()
    browser.login_as(client, user)


def act(browser, action, *, text=None, assignee=None):
    """Open the action's dialog, fill it in and confirm."""
    css(browser, f'button[data-dialog="dlg-{action}"]').click()
    dialog = css(browser, f"#dlg-{action}")
    assert dialog.get_attribute("open") is not None
    if text is not None:
        dialog.find_element(By.NAME, "text").send_keys(text)
    if assignee is not None:
        Select(dialog.find_element(By.NAME, "assignee")).select_by_value(assignee)
    confirm = dialog.find_element(By.CSS_SELECTOR, "[data-confirm]")
    wait_for_new_page(browser, confirm.click)


def state_text(browser):
    return css(browser, "#state").text


def disabled_reason(browser, action):
    button = css(browser, f'button[data-action="{action}"]')
    assert button.get_attribute("disabled") is not None
    return css(browser, f"#why-{action}").text


def history_text(browser):
    return css(browser, "#history").text


def test_a_dossier_through_the_five_steps_on_the_desk(browser, client, world, tmp_path):
    name_staff(world)
    browser.login_as(client, world.clerk)

    # 1. The clerk registers a dossier at the counter.
    browser.open("/desk/")
    assert "Hàng đợi của tôi" in browser.text()  # Vietnamese although the browser asks English
    browser.shot("desk-01-queue-empty")
    open_link(browser, "Tiếp nhận hồ sơ")
    css(browser, "#procedure-search").send_keys("thu tuc thu")  # accents ignored
    assert Select(css(browser, "#id_procedure")).first_selected_option.get_attribute("value") == (
        world.procedure.code
    )
    css(browser, "#id_full_name").send_keys("Nguyễn Văn Bình")
    css(browser, "#id_id_number").send_keys("02209000123")  # 11 digits: refused
    css(browser, "#id_phone").send_keys("0912345678")
    boxes = browser.driver.find_elements(
        By.CSS_SELECTOR, f'[data-procedure="{world.procedure.code}"] input[type=checkbox]'
    )
    assert len(boxes) == 3
    boxes[0].click()
    boxes[1].click()
    browser.shot("desk-02-register-filled")
    wait_for_new_page(browser, lambda: css(browser, "#register-submit").click())
    assert "12 chữ số" in browser.text()
    assert css(browser, "#id_full_name").get_attribute("value") == "Nguyễn Văn Bình"  # kept
    browser.shot("desk-03-register-error")
    css(browser, "#id_id_number").clear()
    css(browser, "#id_id_number").send_keys("022090001239")
    boxes = browser.driver.find_elements(
        By.CSS_SELECTOR, f'[data-procedure="{world.procedure.code}"] input[type=checkbox]'
    )
    assert boxes[0].is_selected() and boxes[1].is_selected()  # the checklist is kept too
    css(browser, "#register-submit").click()

    # The receipt (form 01) opens as its PDF, with the code and the appointment.
    WebDriverWait(browser.driver, 20).until(lambda d: d.current_url.endswith("/receipt/"))
    dossier = Dossier.objects.get(applicant_full_name="Nguyễn Văn Bình")
    assert dossier.state == S.INTAKE
    receipt_path = f"/desk/dossiers/{dossier.code}/receipt/"
    assert browser.driver.current_url.endswith(receipt_path)
    # Opened in the browser's own PDF viewer, ready to print (not downloaded, not an HTML copy).
    assert browser.driver.execute_script("return document.contentType") == "application/pdf"
    browser.shot("desk-04-receipt")
    due = timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y")
    receipt = client.get(receipt_path)
    assert receipt["Content-Type"] == "application/pdf"
    text = pdf_text(receipt.content, tmp_path)
    assert dossier.code in text and "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert due.split()[1] in text and "Nguyễn Văn Bình" in text

    # 2. Digitize: forwarding waits for the two required scans.
    browser.open(f"/desk/dossiers/{dossier.code}/")
    assert state_text(browser) == "Bước 1: Tiếp nhận và số hóa"
    assert due in css(browser, "#due").text
    assert disabled_reason(browser, "forward") == "Còn 2 thành phần bắt buộc chưa số hóa"
    browser.shot("desk-05-dossier-intake")
    inputs = browser.driver.find_elements(By.CSS_SELECTOR, "#digitize-form input[type=file]")
    assert len(inputs) == 3
    for number, field in enumerate(inputs):
        field.send_keys(str(write_pdf(tmp_path / f"scan-{number}.pdf", f"Scan {number}")))
    wait_for_new_page(browser, lambda: css(browser, "#upload-scans").click())
    assert "Đã lưu 3 bản quét." in browser.text()
    assert browser.text().count("Đã số hóa (bản quét)") == 3
    scan_link = css(browser, "details.scan a").get_attribute("href")
    browser.shot("desk-06-dossier-scanned")
    css(browser, "details.scan summary").click()
    WebDriverWait(browser.driver, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "details.scan .viewer iframe")
    )
    type_of_scan = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => done(r.status + ' ' + r.headers.get('content-type')));",
        scan_link,
    )
    assert type_of_scan == "200 application/pdf"

    # 3. Forward to the specialist.
    act(browser, "forward", assignee="specialist")
    assert "Đã thực hiện: Chuyển thẩm định." in browser.text()
    assert state_text(browser) == "Bước 2: Thẩm định"
    assert "Tiếp nhận hồ sơ" in history_text(browser)
    forwarded = "Chuyển thẩm định: Bước 1: Tiếp nhận và số hóa → Bước 2: Thẩm định"
    assert forwarded in history_text(browser)
    assert "Nguyễn Thị Lan" in history_text(browser)
    assert css(browser, "#waiting").text == "Hồ sơ đang chờ chuyên viên thẩm định xử lý."
    browser.shot("desk-07-dossier-forwarded")

    # 4. The specialist finds it in the appraisal tab and proposes.
    switch_user(browser, client, world.specialist)
    browser.open("/desk/")
    tab = css(browser, 'a[data-tab="appraisal"]')
    assert tab.text.endswith("1")
    assert dossier.code in browser.text()
    browser.shot("desk-08-queue-specialist")
    open_link(browser, dossier.code)
    act(browser, "propose", text="Hồ sơ đủ điều kiện, đề nghị phê duyệt.", assignee="approver")
    assert state_text(browser) == "Bước 3: Phê duyệt"
    assert "Hồ sơ đủ điều kiện, đề nghị phê duyệt." in history_text(browser)
    assert "Trần Văn Minh" in history_text(browser)

    # 5. The approver approves, attaches the result and signs.
    switch_user(browser, client, world.approver)
    browser.open("/desk/?tab=approval")
    open_link(browser, dossier.code)
    act(browser, "approve")
    assert state_text(browser) == "Bước 4: Ký số"
    assert disabled_reason(browser, "sign") == "Chưa đính kèm văn bản kết quả"
    full_shot(browser, "desk-09-dossier-signing")
    css(browser, "#result input[type=file]").send_keys(
        str(write_pdf(tmp_path / "result.pdf", "Ket qua"))
    )
    wait_for_new_page(browser, lambda: css(browser, "#attach-result").click())
    assert "Đã đính kèm văn bản kết quả." in browser.text()
    act(browser, "sign", assignee="clerk")
    assert state_text(browser) == "Bước 5: Trả kết quả"
    assert "Phạm Quốc Hùng đã ký số" in css(browser, "#result").text

    # 6. The clerk returns the result.
    switch_user(browser, client, world.clerk)
    browser.open("/desk/?tab=delivery")
    assert dossier.code in browser.text()
    open_link(browser, dossier.code)
    act(browser, "deliver")
    assert state_text(browser) == "Đã trả kết quả"
    history = history_text(browser)
    for line in (
        "Tiếp nhận hồ sơ: Bước 1: Tiếp nhận và số hóa",
        "Chuyển thẩm định",
        "Đề xuất, trình phê duyệt",
        "Phê duyệt",
        "Ký số kết quả",
        "Trả kết quả: Bước 5: Trả kết quả → Đã trả kết quả",
    ):
        assert line in history
    assert "ở bước trước" in history  # time spent at each step
    steps = css(browser, "#steps").text
    assert steps.count("Đúng hạn") >= 5  # the header and the five steps, all met
    assert "Hồ sơ đã kết thúc." in browser.text()
    browser.shot("desk-10-dossier-completed")
    full_shot(browser, "desk-10-dossier-completed-full")
    browser.size(390, 844)
    assert browser.horizontal_overflow() == 0
    browser.shot("desk-11-dossier-completed-390")
    full_shot(browser, "desk-11-dossier-completed-390-full")
    dossier.refresh_from_db()
    assert dossier.state == S.COMPLETED
    assert list(dossier.transitions.values_list("action", flat=True)) == [
        "create",
        "forward",
        "propose",
        "approve",
        "attach_result",
        "sign",
        "deliver",
    ]


def test_an_online_dossier_is_accepted_from_the_check_tab(browser, client, world):
    name_staff(world)
    dossier = new_dossier(world)  # online: waits to be checked
    browser.login_as(client, world.clerk)
    browser.open("/desk/")
    assert css(browser, 'a[data-tab="check"]').text.endswith("1")
    open_link(browser, dossier.code)
    assert css(browser, "#due").text.startswith("Chưa bắt đầu tính")
    act(browser, "accept")
    assert state_text(browser) == "Bước 1: Tiếp nhận và số hóa"
    dossier.refresh_from_db()
    due = timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y")
    assert due in css(browser, "#due").text
    assert "Còn 10 ngày làm việc" in css(browser, "#due").text


def test_a_lost_race_says_someone_else_acted_first_and_shows_the_dossier_anew(
    browser, client, world
):
    dossier = new_dossier(world)
    browser.login_as(client, world.clerk)
    browser.open(f"/desk/dossiers/{dossier.code}/")
    css(browser, 'button[data-dialog="dlg-accept"]').click()
    # Meanwhile a colleague refuses it.
    services.perform_transition(
        dossier=dossier, actor=world.clerk, action="refuse", reason="Sai thẩm quyền"
    )
    wait_for_new_page(browser, lambda: css(browser, "#dlg-accept [data-confirm]").click())
    assert "Người khác đã xử lý hồ sơ này trước bạn" in browser.text()
    assert state_text(browser) == "Không được tiếp nhận"
    browser.shot("desk-12-lost-race")
    assert Dossier.objects.get(pk=dossier.pk).state == S.REFUSED


def test_a_leader_reads_a_masked_dossier_without_buttons(browser, client, world):
    name_staff(world)
    dossier = dossier_in(world, S.APPRAISAL)
    browser.login_as(client, world.leader)
    browser.open("/desk/")
    assert dossier.code in browser.text()
    browser.open(f"/desk/dossiers/{dossier.code}/")
    assert css(browser, "#applicant-id").text == "*********234"
    assert css(browser, "#applicant-phone").text == "*******678"
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "button[data-dialog]")
    assert "Chế độ chỉ xem" in browser.text()
    browser.shot("desk-13-leader-masked")
    # English only by the user's own choice, and it sticks from page to page.
    press_and_wait(browser, 'button[name="language"]')
    assert "Read-only view" in browser.text() and state_text(browser) == "Step 2: appraisal"
    browser.open("/desk/")
    assert "My queue" in browser.text()
    browser.shot("desk-13b-leader-queue-english")
    press_and_wait(browser, 'button[name="language"]')
    assert "Hàng đợi của tôi" in browser.text()


def test_a_clerk_of_another_unit_gets_not_found(browser, client, world):
    dossier = dossier_in(world, S.INTAKE)
    browser.login_as(client, world.other_clerk)
    browser.open(f"/desk/dossiers/{dossier.code}/")
    assert "Không tìm thấy" in browser.text()
    assert dossier.applicant_full_name not in browser.text()
    status = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(location.href).then(r => done(r.status));"
    )
    assert status == 404


def test_queue_and_dossier_pages_fit_a_390px_phone(browser, client, world):
    name_staff(world)
    late = dossier_in(world, S.INTAKE, at=timezone.now() - timedelta(days=40))
    dossier_in(world, S.INTAKE)
    calendar = get_calendar()
    nine_days_ago = calendar.add_working_days(calendar.effective_day(timezone.now()), -9)
    soon = dossier_in(world, S.INTAKE, at=calendar.closing_time(nine_days_ago) - timedelta(hours=3))
    browser.login_as(client, world.clerk)
    browser.size(390, 844)
    browser.open("/desk/?tab=intake")
    assert browser.horizontal_overflow() == 0
    assert overflowing(browser) == []
    row = browser.driver.find_element(By.CSS_SELECTOR, "tr.row-overdue")
    assert late.code in row.text and re.search(r"Quá hạn \d+ ngày làm việc", row.text)
    assert browser.driver.find_elements(By.CSS_SELECTOR, "tr.row-ok")
    amber = browser.driver.find_element(By.CSS_SELECTOR, "tr.row-soon")
    assert soon.code in amber.text and "Còn 1 ngày làm việc" in amber.text
    codes = [a.text for a in browser.driver.find_elements(By.CSS_SELECTOR, "a.code")]
    assert codes.index(late.code) < codes.index(soon.code)  # by due time
    full_shot(browser, "desk-14-queue-390")
    browser.open(f"/desk/dossiers/{late.code}/")
    assert browser.horizontal_overflow() == 0
    assert overflowing(browser) == []
    browser.shot("desk-15-dossier-390")
    full_shot(browser, "desk-15-dossier-390-full")
    css(browser, 'button[data-dialog="dlg-request_supplement"]').click()
    assert browser.horizontal_overflow() == 0
    browser.shot("desk-16-dialog-390")
    browser.size(1366, 900)
    browser.open("/desk/?tab=intake")
    browser.shot("desk-17-queue-desktop")
