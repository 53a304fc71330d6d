"""The transition log in the admin reads in Vietnamese: labels, staff names, readable details."""

import re

import pytest
from django.urls import reverse

from procedures.models import DossierState, DossierTransition
from tests.dossiers import dossier_in

S = DossierState
pytestmark = pytest.mark.django_db

RAW_CODES = re.compile(
    r">\s*(create|accept|forward|propose|submitted|intake|appraisal|approval)\s*<"
    r"|submitted → intake|intake → appraisal|\{&quot;|\{\"|&quot;opinion&quot;"
)


@pytest.fixture
def named_staff(world):
    for user, first, last in [
        (world.clerk, "Nguyễn Thị", "Lan"),
        (world.specialist, "Trần Văn", "Bình"),
    ]:
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    return world


def log_section(page: str) -> str:
    start = page.index("<table", page.index('id="transitions-group"'))
    return page[start : page.index("</table>", start)]


def test_the_dossier_page_shows_the_log_in_vietnamese(client, named_staff):
    world = named_staff
    dossier = dossier_in(world, S.APPROVAL)
    client.force_login(world.admin)
    response = client.get(reverse("admin:procedures_dossier_change", args=[dossier.pk]))
    assert response.status_code == 200
    log = log_section(response.content.decode())

    for label in [
        "Đăng ký hồ sơ",  # create
        "Tiếp nhận",  # accept
        "Chuyển thẩm định",  # forward
        "Đề xuất, trình phê duyệt",  # propose
        "Mới đăng ký (chưa kiểm tra)",
        "Bước 1: Tiếp nhận và số hóa",
        "Bước 2: Thẩm định",
        "Nguyễn Thị Lan",
        "Trần Văn Bình",
        "Kênh tiếp nhận: Trực tuyến",
        "Ý kiến thẩm định: Đủ điều kiện",
    ]:
        assert label in log, label
    assert not RAW_CODES.search(log), RAW_CODES.search(log)
    assert ">clerk<" not in log and ">specialist<" not in log


def test_the_log_pages_show_labels_instead_of_codes(client, named_staff):
    world = named_staff
    dossier = dossier_in(world, S.SUPPLEMENT)
    client.force_login(world.admin)
    listing = client.get(reverse("admin:procedures_dossiertransition_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "Yêu cầu bổ sung" in body
    assert "Nguyễn Thị Lan" in body
    assert not RAW_CODES.search(body[body.index('id="result_list"') :])

    entry = DossierTransition.objects.get(dossier=dossier, action="request_supplement")
    page = client.get(reverse("admin:procedures_dossiertransition_change", args=[entry.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Lý do: Thiếu giấy tờ" in text
    assert "Số ngày làm việc còn lại:" in text
    assert "Bước 1: Tiếp nhận và số hóa → Chờ bổ sung hồ sơ" in text
    assert f"{entry.dossier_id}: intake" not in text
    assert "working_days_left" not in text


def test_the_log_filter_offers_action_labels(client, named_staff):
    world = named_staff
    dossier_in(world, S.INTAKE)
    client.force_login(world.admin)
    url = reverse("admin:procedures_dossiertransition_changelist")
    body = client.get(url).content.decode()
    assert "?action=accept" in body and ">Tiếp nhận<" in body
    filtered = client.get(url, {"action": "accept"})
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == 1


# --- actions not possible now ------------------------------------------------------------------


def unavailable(page: str) -> dict[str, str]:
    """Disabled buttons of the action box: transition name → the reason shown beside it."""
    found = re.findall(
        r'data-transition="(\w+)">\s*<button[^>]*disabled[^>]*>[^<]*</button>\s*'
        r'<p class="action-unavailable">([^<]*)</p>',
        page,
    )
    return dict(found)


def test_after_accepting_the_clerk_sees_the_other_actions_disabled_with_why(client, world):
    dossier = dossier_in(world, S.INTAKE)
    client.force_login(world.clerk)
    page = client.get(reverse("admin:procedures_dossier_change", args=[dossier.pk]))
    assert page.status_code == 200
    reasons = unavailable(page.content.decode())
    assert set(reasons) == {"forward", "reject"}
    assert reasons["forward"] == "Phải số hóa tất cả thành phần hồ sơ bắt buộc trước."
    assert reasons["reject"] == (
        "Chỉ chuyên viên thẩm định, lãnh đạo phê duyệt của đơn vị xử lý hồ sơ mới được thực "
        "hiện thao tác này."
    )
    assert re.search(
        r"<button[^>]*disabled[^>]*>\s*Chuyển thẩm định\s*</button>", page.content.decode()
    )


def test_an_action_the_user_may_take_is_not_shown_disabled(client, world):
    dossier = dossier_in(world, S.APPROVAL)
    client.force_login(world.approver)
    page = client.get(reverse("admin:procedures_dossier_change", args=[dossier.pk]))
    reasons = unavailable(page.content.decode())
    assert set(reasons) == {"withdraw"}
    assert "cán bộ một cửa" in reasons["withdraw"]


def test_the_inspection_log_shows_labels_and_names(client, named_staff):
    from datetime import date

    from inspections.services import create_inspection, start_inspection

    world = named_staff
    world.inspector.first_name, world.inspector.last_name = "Phạm Minh", "Tuấn"
    world.inspector.save(update_fields=["first_name", "last_name"])
    inspection = create_inspection(
        actor=world.inspector,
        unit=world.unit,
        kind="regular",
        lead=world.inspector,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        planned_start=date(2026, 7, 1),
        planned_end=date(2026, 7, 31),
    )
    start_inspection(inspection=inspection, actor=world.inspector)
    client.force_login(world.inspector)
    page = client.get(reverse("admin:inspections_inspection_change", args=[inspection.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    start = body.index("<table", body.index('id="log-group"'))
    log = body[start : body.index("</table>", start)]
    for label in ["Lập kế hoạch kiểm tra", "Bắt đầu kiểm tra", "Đang tiến hành", "Phạm Minh Tuấn"]:
        assert label in log, label
    assert not re.search(r">\s*(create|start|planned|in_progress|inspector)\s*<", log)
    assert f"{inspection.pk}: start" not in log


def test_attaching_the_result_reads_in_vietnamese_in_the_log(client, named_staff):
    world = named_staff
    dossier = dossier_in(world, S.DELIVERY)  # the result attached at signing, then signed
    entry = DossierTransition.objects.get(dossier=dossier, action="attach_result")
    client.force_login(world.admin)
    page = client.get(reverse("admin:procedures_dossiertransition_change", args=[entry.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Đính kèm kết quả" in text
    assert "Bước 4: Ký số → Bước 4: Ký số" in text
    assert f'href="/files/{entry.payload["result_file"]}/"' in text
    listing = client.get(reverse("admin:procedures_dossiertransition_changelist"))
    assert "Đính kèm kết quả" in listing.content.decode()
    assert not RAW_CODES.search(listing.content.decode())
