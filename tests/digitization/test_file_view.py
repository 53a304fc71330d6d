"""Stored files are served through a view that checks the reader's scope, in Vietnamese."""

import pytest
from django.urls import reverse

from digitization.services import attach_result, digitize_component
from procedures.models import DossierState
from tests.dossiers import dossier_in
from tests.factories import pdf_upload

S = DossierState
pytestmark = pytest.mark.django_db


@pytest.fixture
def scanned(world):
    """A dossier at intake whose first component was scanned by the unit's clerk."""
    dossier = dossier_in(world, S.INTAKE)
    component = dossier.components.first()
    digitize_component(component=component, actor=world.clerk, upload=pdf_upload("scan"))
    component.refresh_from_db()
    return component


def file_url(stored):
    return reverse("digitized-file", args=[stored.pk])


def test_the_clerk_of_the_handling_unit_opens_her_units_scan(client, world, scanned):
    client.force_login(world.clerk)
    response = client.get(file_url(scanned.file))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
    assert "private" in response["Cache-Control"]


def test_an_inspector_overseeing_the_unit_opens_the_scan(client, world, scanned):
    client.force_login(world.inspector)
    assert client.get(file_url(scanned.file)).status_code == 200


@pytest.mark.parametrize("who", ["other_clerk", "leader", "admin"])
def test_others_get_a_vietnamese_403_page(client, world, scanned, who):
    client.force_login(getattr(world, who))
    response = client.get(file_url(scanned.file))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Không có quyền truy cập" in page
    assert "Chỉ cán bộ của đơn vị đang xử lý hồ sơ" in page
    assert "Forbidden" not in page


def test_the_403_page_follows_an_english_users_language(client, world, scanned):
    client.force_login(world.other_clerk)
    response = client.get(file_url(scanned.file), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Only the staff of the unit handling the dossier" in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in(client, scanned):
    response = client.get(file_url(scanned.file))
    assert response.status_code == 302
    assert response["Location"].startswith("/desk/login/?next=/files/")


def test_an_unknown_file_is_a_vietnamese_404(client, world):
    client.force_login(world.clerk)
    response = client.get(reverse("digitized-file", args=[999999]))
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_the_result_document_opens_for_the_handling_unit_only(client, world):
    dossier = dossier_in(world, S.SIGNING)
    dossier = attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload("result"))
    client.force_login(world.approver)
    assert client.get(file_url(dossier.result_file)).status_code == 200
    client.force_login(world.other_clerk)
    assert client.get(file_url(dossier.result_file)).status_code == 403


def test_media_files_have_no_public_url(client, world, scanned):
    client.force_login(world.clerk)
    response = client.get("/media/" + scanned.file.file.name)
    assert response.status_code == 404


def test_the_admin_links_scans_through_the_view(client, world, scanned):
    client.force_login(world.clerk)
    response = client.get(reverse("admin:procedures_dossier_change", args=[scanned.dossier_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{file_url(scanned.file)}"' in page
    assert reverse("admin:digitization_digitizedfile_change", args=[scanned.file_id]) not in page
    assert "/media/" not in page


def test_the_admin_links_the_result_document_through_the_view(client, world):
    dossier = dossier_in(world, S.DELIVERY)
    client.force_login(world.clerk)
    response = client.get(reverse("admin:procedures_dossier_change", args=[dossier.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{file_url(dossier.result_file)}"' in page
    assert "/admin/digitization/digitizedfile/" not in page
    assert page.count("<label>Văn bản kết quả:</label>") == 1


def test_the_desk_serves_a_scan_by_the_same_rule_and_function(client, world, scanned):
    """/desk/dossiers/<code>/files/<id>/ is /files/<pk>/ plus framing by this site's viewer."""
    desk_url = f"/desk/dossiers/{scanned.dossier.code}/files/{scanned.file_id}/"
    client.force_login(world.clerk)
    desk, dashboard = client.get(desk_url), client.get(file_url(scanned.file))
    for response in (desk, dashboard):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
    assert desk["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert desk["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" not in dashboard["Content-Security-Policy"]
    assert dashboard["X-Frame-Options"] == "DENY"

    client.force_login(world.leader)  # sees the dossier on the desk, not its personal data
    for url in (desk_url, file_url(scanned.file)):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Chỉ cán bộ của đơn vị đang xử lý hồ sơ" in response.content.decode()

    scanned.file.file.storage.delete(scanned.file.file.name)
    client.force_login(world.clerk)
    for url in (desk_url, file_url(scanned.file)):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Không tìm thấy" in response.content.decode()
