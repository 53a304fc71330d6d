"""The statutory forms as PDF, generated for dossiers built through the services and read back
with pdftotext (poppler) and zbarimg."""

import hashlib
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from documents.forms import control_slip_rows
from documents.formsets import form_set_for
from documents.models import IssuedDocument
from procedures.models import DossierState
from procedures.services import issue_apology
from tests.api_client import error_of
from tests.dossiers import dossier_in

S = DossierState
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ACCEPTED = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
DUE = "16/03/2026"
AFTER_DUE = datetime(2026, 3, 17, 9, 0, tzinfo=TZ)

pytestmark = pytest.mark.django_db


def built(world, state):
    dossier = dossier_in(
        world, state, at=ACCEPTED - timedelta(minutes=5), step=timedelta(minutes=1)
    )
    assert f"{dossier.due_at.astimezone(TZ):%d/%m/%Y}" == DUE
    return dossier


def get_form(api, user, dossier, form, when=AFTER_DUE):
    with time_machine.travel(when, tick=False):
        return api.as_(user).get(f"/api/v1/dossiers/{dossier.code}/forms/{form}/")


def assert_names_the_dossier(text, dossier):
    assert dossier.code in text
    assert "Nguyễn Văn An" in text
    assert DUE in text


@pytest.mark.parametrize(
    ("form", "state", "title"),
    [
        ("01", S.APPRAISAL, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        ("02", S.SUPPLEMENT, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        ("03", S.REJECTED, "THÔNG BÁO TỪ CHỐI GIẢI QUYẾT HỒ SƠ"),
        ("05", S.COMPLETED, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
    ],
)
def test_each_form_names_the_dossier_applicant_and_due_date(
    api, world, read_pdf, form, state, title
):
    dossier = built(world, state)

    response = get_form(api, world.clerk, dossier, form)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = read_pdf(response.content)
    assert_names_the_dossier(text, dossier)
    assert title in " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in " ".join(text.split())
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Quảng Ninh, ngày 17 tháng 03 năm 2026" in text
    assert "Phường Hồng Gai".upper() in text


def test_the_supplement_request_gives_the_reason_and_the_refusal_its_reason(api, world, read_pdf):
    supplement = read_pdf(get_form(api, world.clerk, built(world, S.SUPPLEMENT), "02").content)
    refusal = read_pdf(get_form(api, world.clerk, built(world, S.REJECTED), "03").content)

    assert "Thiếu giấy tờ" in supplement
    assert "Không đủ điều kiện" in refusal


def test_a_refused_online_dossier_gets_the_refusal_slip(api, world, read_pdf):
    dossier = dossier_in(world, S.REFUSED)

    text = read_pdf(get_form(api, world.clerk, dossier, "03", when=datetime.now(TZ)).content)

    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in " ".join(text.split())
    assert dossier.code in text and "Nguyễn Văn An" in text
    assert "Không thuộc thẩm quyền" in text


def test_the_apology_gives_the_missed_due_date_and_the_new_appointment(api, world, read_pdf):
    dossier = built(world, S.APPRAISAL)
    with time_machine.travel(AFTER_DUE, tick=False):
        issue_apology(
            dossier=dossier,
            actor=world.clerk,
            reason="Chờ ý kiến của Sở Tài nguyên",
            new_appointment_date=date(2026, 3, 20),
        )

    response = get_form(api, world.clerk, dossier, "04")

    assert response.status_code == 200
    text = read_pdf(response.content)
    assert_names_the_dossier(text, dossier)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "20/03/2026" in text
    assert "Chờ ý kiến của Sở Tài nguyên" in text


def test_the_receipt_qr_code_opens_the_citizens_look_up(api, world, read_qr, settings):
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    dossier = built(world, S.INTAKE)

    response = get_form(api, world.clerk, dossier, "01")

    assert read_qr(response.content) == [
        f"https://dichvucong.quangninh.gov.vn/tra-cuu/?ma={dossier.code}"
    ]


def test_an_issued_form_is_recorded_and_downloads_byte_identical_later(api, world):
    dossier = built(world, S.INTAKE)

    first = get_form(api, world.clerk, dossier, "01")
    later = get_form(api, world.specialist, dossier, "01", when=AFTER_DUE + timedelta(days=3))

    assert first.status_code == later.status_code == 200
    assert first.content == later.content
    issued = IssuedDocument.objects.get()
    digest = hashlib.sha256(first.content).hexdigest()
    assert (issued.kind, issued.sha256, issued.size) == ("01", digest, len(first.content))
    assert issued.issued_by == world.clerk
    assert issued.issued_at == AFTER_DUE
    assert issued.form_set == "nd118_2025"
    assert first["X-Content-SHA256"] == digest


def test_a_second_supplement_request_gets_its_own_form(api, world):
    dossier = built(world, S.SUPPLEMENT)
    first = get_form(api, world.clerk, dossier, "02")
    from procedures import services

    with time_machine.travel(AFTER_DUE, tick=False):
        dossier = services.resume_dossier(dossier=dossier, actor=world.clerk)
        services.request_supplement(dossier=dossier, actor=world.clerk, reason="Thiếu bản sao")

    second = get_form(api, world.clerk, dossier, "02", when=AFTER_DUE + timedelta(hours=1))

    assert first.content != second.content
    assert IssuedDocument.objects.filter(kind="02").count() == 2


def test_forms_are_scoped_like_the_dossier(api, world):
    dossier = built(world, S.INTAKE)

    assert get_form(api, world.other_clerk, dossier, "01").status_code == 404
    assert get_form(api, world.clerk, dossier, "07").status_code == 404
    assert get_form(api, world.clerk, dossier, "06").status_code == 404
    assert IssuedDocument.objects.count() == 0


def test_a_form_without_its_event_is_409(api, world):
    dossier = built(world, S.INTAKE)

    response = get_form(api, world.clerk, dossier, "02")

    assert response.status_code == 409
    assert error_of(response)["code"] == "form_not_available"


def test_only_the_units_staff_issue_a_form_others_read_it_once_issued(api, world):
    dossier = built(world, S.INTAKE)

    refused = get_form(api, world.leader, dossier, "01")
    get_form(api, world.clerk, dossier, "01")
    read = get_form(api, world.leader, dossier, "01")

    assert refused.status_code == 403
    assert read.status_code == 200


def test_the_control_slip_has_one_row_per_hand_over(api, world, read_pdf):
    dossier = built(world, S.COMPLETED)
    entries = list(dossier.transitions.select_related("actor").order_by("at", "id"))
    # attaching the result is logged but hands nothing on: the state stays
    assert [e.action for e in entries if e.source_state == e.target_state] == ["attach_result"]
    log = [entry for entry in entries if entry.source_state != entry.target_state]

    rows = control_slip_rows(dossier)
    text = read_pdf(get_form(api, world.clerk, dossier, "05").content)

    assert len(rows) == len(log) == 7
    for row, entry, following in zip(rows, log, [*log[1:], None], strict=True):
        assert row.from_person == entry.actor.username
        assert row.to_person == (following.actor.username if following else "")
        assert row.at == f"{entry.at.astimezone(TZ):%H:%M} ngày {entry.at.astimezone(TZ):%d/%m/%Y}"
        assert row.timeliness in ("Trước hạn", "Đúng hạn", "Quá hạn", "")
    # the slip lists every hand-over, in order, each with its time
    table = text.find("Bên giao")
    positions = [text.find(f"{entry.at.astimezone(TZ):%H:%M}", table) for entry in log]
    assert all(position >= 0 for position in positions)
    assert positions == sorted(positions)
    assert rows[-1].timeliness == "Trước hạn"  # returned on the day of acceptance


def test_the_log_book_lists_the_units_dossiers_as_pdf_and_xlsx(api, world, read_pdf):
    dossiers = [built(world, S.INTAKE), built(world, S.COMPLETED)]
    url = f"/api/v1/units/{world.unit.code}/log-book/?start=2026-03-01&end=2026-03-31"

    pdf = api.as_(world.leader).get(url)
    xlsx = api.as_(world.leader).get(url + "&format=xlsx")

    assert pdf.status_code == xlsx.status_code == 200
    text = read_pdf(pdf.content)
    assert "SỔ THEO DÕI HỒ SƠ" in text
    for dossier in dossiers:
        assert dossier.code in text
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    codes = [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert codes == [dossier.code for dossier in dossiers]


def test_the_log_book_is_scoped_and_checks_its_period(api, world):
    base = f"/api/v1/units/{world.unit.code}/log-book/"

    assert api.as_(world.other_clerk).get(base).status_code == 404
    response = api.as_(world.clerk).get(base + "?start=2026-03-31&end=2026-03-01")
    assert response.status_code == 400
    assert "start" in error_of(response)["fields"]


def test_the_form_set_follows_the_legal_basis_in_force():
    assert form_set_for(date(2025, 6, 30)).code == "tt01_2018"
    assert form_set_for(date(2025, 7, 1)).code == "nd118_2025"
    assert "118/2025/NĐ-CP" in form_set_for(date(2026, 3, 2)).legal_basis
