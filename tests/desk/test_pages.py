"""The desk's pages through Django's test client: scope, masking, language, actions, queries."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from digitization.services import digitize_component
from procedures.models import Dossier, DossierState, DossierTransition
from tests.dossiers import WORKING_MORNING, dossier_in, new_dossier
from tests.factories import pdf_upload
from tests.pdf import pdf_text

S = DossierState
pytestmark = pytest.mark.django_db


def client_for(user, language=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en")
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def test_home_sends_staff_to_their_queue_and_others_to_the_lookup(world):
    assert Client().get("/").url == "/tra-cuu/"
    assert client_for(world.clerk).get("/").url == "/desk/"


def test_desk_is_vietnamese_whatever_the_browser_asks_until_english_is_chosen(world):
    client = client_for(world.clerk)
    page = client.get("/desk/").content.decode()
    assert "Hàng đợi của tôi" in page
    response = client.post("/desk/language/", {"language": "en", "next": "/desk/"})
    assert response.status_code == 302
    assert "My queue" in client.get("/desk/").content.decode()
    client.post("/desk/language/", {"language": "vi", "next": "/desk/"})
    assert "Hàng đợi của tôi" in client.get("/desk/").content.decode()


def test_queue_tabs_count_the_clerks_work_and_search_ignores_accents(world):
    dossier_in(world, S.SUBMITTED)
    dossier_in(world, S.INTAKE)
    dossier_in(world, S.INTAKE)
    client = client_for(world.clerk)
    page = client.get("/desk/?tab=intake").content.decode()
    assert 'data-tab="intake"' in page
    assert page.count('class="code"') == 2
    found = client.get("/desk/", {"tab": "intake", "q": "nguyen van"}).content.decode()
    assert found.count('class="code"') == 2
    none = client.get("/desk/", {"tab": "intake", "q": "tran thi"}).content.decode()
    assert none.count('class="code"') == 0


def test_another_units_clerk_gets_404(world):
    dossier = dossier_in(world, S.INTAKE)
    response = client_for(world.other_clerk).get(f"/desk/dossiers/{dossier.code}/")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.content.decode()


def test_leader_sees_the_applicant_masked_and_no_buttons(world):
    dossier = dossier_in(world, S.APPRAISAL)
    page = client_for(world.leader).get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert "*********234" in page and "022090001234" not in page
    assert 'data-dialog="dlg-' not in page
    files = client_for(world.leader).get(f"/desk/dossiers/{dossier.code}/files/1/")
    assert files.status_code == 404


def test_forward_is_disabled_with_the_number_of_missing_components(world):
    dossier = dossier_in(world, S.INTAKE)
    page = client_for(world.clerk).get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert "Còn 2 thành phần bắt buộc chưa số hóa" in page


def test_upload_serves_the_scan_with_its_type_to_the_unit_only(world):
    dossier = dossier_in(world, S.INTAKE)
    component = dossier.components.first()
    client = client_for(world.clerk)
    response = client.post(
        f"/desk/dossiers/{dossier.code}/scans/", {f"file-{component.pk}": pdf_upload("a")}
    )
    assert response.status_code == 302
    component.refresh_from_db()
    scan = client.get(f"/desk/dossiers/{dossier.code}/files/{component.file_id}/")
    assert scan.status_code == 200 and scan["Content-Type"] == "application/pdf"
    assert scan["X-Frame-Options"] == "SAMEORIGIN"
    assert scan["Content-Security-Policy"] == "frame-ancestors 'self'"
    other = client_for(world.other_clerk)
    assert other.get(f"/desk/dossiers/{dossier.code}/files/{component.file_id}/").status_code == 404


def test_a_stale_version_is_a_lost_race_409(world):
    dossier = dossier_in(world, S.SUBMITTED)
    response = client_for(world.clerk).post(
        f"/desk/dossiers/{dossier.code}/act/accept/", {"version": dossier.version - 1 or 99}
    )
    assert response.status_code == 409
    assert "Người khác đã xử lý hồ sơ này trước" in response.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED


def test_missing_reason_keeps_the_dialog_open_with_the_note_typed(world):
    dossier = dossier_in(world, S.SUBMITTED)
    response = client_for(world.clerk).post(
        f"/desk/dossiers/{dossier.code}/act/refuse/",
        {"version": dossier.version, "text": " ", "note": "gọi lại sau"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="dlg-refuse" class="dialog" data-open' in page
    assert 'value="gọi lại sau"' in page


def test_register_validates_and_opens_the_receipt(world, tmp_path):
    client = client_for(world.clerk)
    components = list(world.procedure.components.all())
    data = {
        "procedure": world.procedure.code,
        "unit": str(world.unit.pk),
        "channel": "direct",
        "full_name": "Trần Thị Bình",
        "id_number": "12345",
        "phone": "12",
        "received": [str(components[0].pk)],
    }
    response = client.post("/desk/register/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Trần Thị Bình" in page  # kept
    assert "12 chữ số" in page
    data.update(id_number="022090009999", phone="0912 345 678")
    data["received"] = [str(c.pk) for c in components if c.required]
    response = client.post("/desk/register/", data)
    assert response.status_code == 302
    dossier = Dossier.objects.get(applicant_full_name="Trần Thị Bình")
    assert response.url == f"/desk/dossiers/{dossier.code}/receipt/"
    assert dossier.state == S.INTAKE and dossier.applicant_phone == "0912345678"
    receipt = client.get(response.url)
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt["Content-Disposition"] == f'inline; filename="{dossier.code}-mau-01.pdf"'
    text = pdf_text(receipt.content, tmp_path)
    assert dossier.code in text and "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Trần Thị Bình" in text
    assert timezone.localtime(dossier.due_at).strftime("%d/%m/%Y") in text
    # The desk serves the very document the API issued: the same bytes on every download.
    api = client.get(f"/api/v1/dossiers/{dossier.code}/forms/01/")
    assert api.content == receipt.content and api["X-Content-SHA256"] == receipt["X-Content-SHA256"]


@pytest.mark.parametrize("rows", [3, 20])
def test_queue_query_count_does_not_grow_with_the_page(world, rows, django_assert_num_queries):
    at = timezone.now() - timedelta(days=1)
    for _ in range(rows):
        new_dossier(world, at=at)
    client = client_for(world.clerk)
    client.get("/desk/")  # warm the per-process caches (unit tree, calendar)
    with django_assert_num_queries(6):
        page = client.get("/desk/?tab=check").content.decode()
    assert page.count('class="code"') == rows


def test_login_page_is_vietnamese_and_logs_in_to_the_queue(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en")
    page = client.get("/desk/login/").content.decode()
    assert "Đăng nhập" in page and "Log in" not in page
    response = client.post(
        "/desk/login/", {"username": "clerk", "password": "wrong", "next": "/desk/"}
    )
    assert response.status_code == 200
    assert 'value="clerk"' in response.content.decode()  # what was typed stays
    response = client.post("/desk/login/", {"username": "clerk", "password": "s3cret-pass-123"})
    assert response.status_code == 302 and response.url == "/desk/"
    assert client.get("/desk/login/").url == "/desk/"  # already logged in
    assert client.get("/desk/dossiers/x/").status_code == 404
    client.post("/desk/logout/")
    assert client.get("/desk/").url.startswith("/desk/login/")


def test_password_change_in_vietnamese(world):
    client = client_for(world.clerk)
    page = client.get("/desk/password/").content.decode()
    assert "Mật khẩu cũ" in page
    response = client.post(
        "/desk/password/",
        {
            "old_password": "s3cret-pass-123",
            "new_password1": "Mot-cua-2026-moi",
            "new_password2": "Mot-cua-2026-moi",
        },
    )
    assert response.status_code == 302
    world.clerk.refresh_from_db()
    assert world.clerk.check_password("Mot-cua-2026-moi")


def test_supplement_request_and_resume_from_the_desk(world):
    dossier = dossier_in(world, S.INTAKE)
    client = client_for(world.clerk)
    response = client.post(
        f"/desk/dossiers/{dossier.code}/act/request_supplement/",
        {"version": dossier.version, "text": "Thiếu bản sao giấy khai sinh"},
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == S.SUPPLEMENT and dossier.working_days_left is not None
    page = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert "Tạm dừng tính thời gian" in page and "Thiếu bản sao giấy khai sinh" in page
    queue = client.get("/desk/?tab=supplement").content.decode()
    assert dossier.code in queue
    response = client.post(
        f"/desk/dossiers/{dossier.code}/act/resume/", {"version": dossier.version}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == S.INTAKE and dossier.paused_at is None


def test_apology_letter_from_the_desk_for_an_overdue_dossier(world):
    from procedures.calendar import get_calendar

    dossier = dossier_in(world, S.INTAKE, at=timezone.now() - timedelta(days=40))
    client = client_for(world.clerk)
    page = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert 'data-dialog="dlg-apology"' in page
    response = client.post(
        f"/desk/dossiers/{dossier.code}/apology/",
        {"reason": "Chờ ý kiến phối hợp", "new_appointment_date": "01/01/2020"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Chờ ý kiến phối hợp" in page and 'id="dlg-apology" class="dialog" data-open' in page
    day = get_calendar().next_working_day(timezone.localdate())
    response = client.post(
        f"/desk/dossiers/{dossier.code}/apology/",
        {"reason": "Chờ ý kiến phối hợp", "new_appointment_date": day.strftime("%d/%m/%Y")},
    )
    assert response.status_code == 302
    assert response.url == f"/desk/dossiers/{dossier.code}/forms/04/"
    dossier.refresh_from_db()
    assert timezone.localtime(dossier.appointment_at).date() == day
    page = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert "Đã lập phiếu xin lỗi" in page and 'data-dialog="dlg-apology"' not in page


def test_a_file_that_is_not_a_scan_is_refused_with_the_components_name(world):
    from django.core.files.base import ContentFile

    dossier = dossier_in(world, S.INTAKE)
    component = dossier.components.first()
    response = client_for(world.clerk).post(
        f"/desk/dossiers/{dossier.code}/scans/",
        {f"file-{component.pk}": ContentFile(b"hello", name="note.txt")},
    )
    assert response.status_code == 400
    assert f"{component.name} (note.txt): Chỉ chấp nhận" in response.content.decode()


def test_reuse_a_component_digitized_for_the_same_citizen(world):
    earlier = dossier_in(world, S.APPRAISAL)  # components digitized (reused from KHO-1)
    dossier = dossier_in(world, S.INTAKE)
    client = client_for(world.clerk)
    page = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert earlier.code in page
    source = earlier.components.first()
    target = dossier.components.first()
    response = client.post(
        f"/desk/dossiers/{dossier.code}/reuse/", {"source": source.pk, "component": target.pk}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == "reused" and target.reused_from.startswith(earlier.code)


@pytest.mark.parametrize("papers", [3, 20])
def test_dossier_page_query_count_does_not_grow_with_its_papers(
    world, papers, django_assert_num_queries
):
    from procedures.models import DigitizationStatus
    from tests.factories import ProcedureFactory

    procedure = ProcedureFactory(
        units=[world.unit], components=[(f"Giấy tờ {n}", True) for n in range(papers)]
    )
    dossier = new_dossier(world, channel="direct", procedure=procedure)
    for component in dossier.components.all()[: papers // 2]:
        digitize_component(component=component, actor=world.clerk, upload=pdf_upload("p"))
    pending = dossier.components.filter(status=DigitizationStatus.PENDING).count()
    assert pending == papers - papers // 2
    client = client_for(world.clerk)
    client.get(f"/desk/dossiers/{dossier.code}/")  # warm the per-process caches
    # 9: forward's component check reads the components the page loaded, not the table again
    with django_assert_num_queries(9):
        page = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert page.count('class="c-name"') == papers


def test_queue_search_folds_accents_both_ways_and_finds_codes(world):
    from procedures import services

    # Both dossiers received the same local day, so their codes share the day's prefix: on the
    # real clock, between midnight and 01:40 local time the second one (made 100 minutes
    # earlier) has the day before's code (failed CI at 01:45 local time).
    with time_machine.travel(WORKING_MORNING, tick=False):
        dossier = services.create_dossier(
            actor=world.clerk,
            procedure=world.procedure,
            unit=world.unit,
            channel="direct",
            applicant={"full_name": "Đỗ Thị Hòa"},
        )
        dossier_in(world, S.INTAKE)  # Nguyễn Văn An
    client = client_for(world.clerk)

    def codes(q):
        page = client.get("/desk/", {"tab": "intake", "q": q}).content.decode()
        return page.count('class="code"')

    assert codes("do thi hoa") == 1
    assert codes("ĐỖ THỊ") == 1
    assert codes("hòa") == 1
    assert codes("NGUYEN") == 1
    assert codes(dossier.code[:-2]) == 2  # a code's beginning
    assert codes(dossier.code.lower()) == 1


def test_handing_over_to_someone_who_cannot_take_it_is_refused_in_the_dialog(world):
    dossier = dossier_in(world, S.APPRAISAL)
    response = client_for(world.specialist).post(
        f"/desk/dossiers/{dossier.code}/act/propose/",
        {"version": dossier.version, "text": "Đủ điều kiện", "assignee": "clerk"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Người được chỉ định không thể nhận xử lý hồ sơ ở bước này." in page
    assert "Đủ điều kiện</textarea>" in page
    assert Dossier.objects.get(pk=dossier.pk).state == S.APPRAISAL


def test_the_apology_letter_opened_from_the_desk_is_vietnamese_too(world):
    from procedures.calendar import get_calendar
    from procedures.services.apologies import issue_apology

    dossier = dossier_in(world, S.INTAKE, at=timezone.now() - timedelta(days=40))
    issue_apology(
        dossier=dossier,
        actor=world.clerk,
        reason="Chờ ý kiến phối hợp",
        new_appointment_date=get_calendar().next_working_day(timezone.localdate()),
    )
    page = client_for(world.clerk).get(f"/dossiers/{dossier.code}/apology/").content.decode()
    assert "PHIẾU XIN LỖI" in page.upper()


def test_the_desk_opens_each_form_as_the_apis_pdf_or_says_why_not(world, tmp_path):
    dossier = dossier_in(world, S.APPRAISAL)
    client = client_for(world.clerk)
    page = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert f'href="/desk/dossiers/{dossier.code}/forms/05/"' in page
    assert f'href="/desk/dossiers/{dossier.code}/receipt/"' in page
    slip = client.get(f"/desk/dossiers/{dossier.code}/forms/05/")
    assert slip.status_code == 200 and slip["Content-Type"] == "application/pdf"
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in pdf_text(slip.content, tmp_path)
    # No supplement was requested: form 02 does not exist yet, and the page says so (409).
    missing = client.get(f"/desk/dossiers/{dossier.code}/forms/02/")
    assert missing.status_code == 409
    assert "Hồ sơ không có yêu cầu bổ sung." in missing.content.decode()
    assert client.get(f"/desk/dossiers/{dossier.code}/forms/99/").status_code == 404
    # Another unit's clerk does not learn the dossier exists.
    other = client_for(world.other_clerk).get(f"/desk/dossiers/{dossier.code}/forms/05/")
    assert other.status_code == 404


def test_a_too_large_scan_is_413_on_the_desk_as_in_the_api(world, settings):
    """The desk answers domain errors with the statuses they carry, as the API does."""
    settings.UPLOAD_MAX_BYTES = 10
    dossier = dossier_in(world, S.INTAKE)
    component = dossier.components.first()
    response = client_for(world.clerk, "vi").post(
        f"/desk/dossiers/{dossier.code}/scans/", {f"file-{component.pk}": pdf_upload("a")}
    )
    assert response.status_code == 413
    assert "Tệp quá lớn." in response.content.decode()
    component.refresh_from_db()
    assert component.file_id is None


def test_attaching_the_result_is_in_the_history_with_its_label(world):
    dossier = dossier_in(world, S.SIGNING)
    client = client_for(world.approver)
    response = client.post(f"/desk/dossiers/{dossier.code}/result/", {"file": pdf_upload("kq")})
    assert response.status_code == 302
    entry = DossierTransition.objects.get(dossier=dossier, action="attach_result")
    assert (entry.source_state, entry.target_state, entry.actor) == (
        S.SIGNING,
        S.SIGNING,
        world.approver,
    )
    page = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    history = page[page.index('id="history"') : page.index('id="notices"')]
    line = history[history.index("Đính kèm kết quả") :]
    line = " ".join(line[: line.index("</li>")].split())
    # shown in the state it was done in, not as a move from a state to itself
    assert "Đính kèm kết quả</strong>: Bước 4: Ký số</div>" in line
    assert "→" not in line
    assert "ở bước trước" not in line
