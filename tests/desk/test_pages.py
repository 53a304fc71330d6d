"""The desk's pages through Django's test client: scope, masking, language, actions, queries."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from procedures.models import Dossier, DossierState
from tests.dossiers import dossier_in, new_dossier
from tests.factories import pdf_upload

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


def test_register_validates_and_opens_the_receipt(world):
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
    receipt = client.get(response.url).content.decode()
    assert dossier.code in receipt and "GIẤY TIẾP NHẬN" in receipt.upper()


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
