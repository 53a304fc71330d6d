"""The admin shows citizens' personal data by the API's rule: unmasked to the handling unit and
inspectors, masked to leaders, administrators and everyone else."""

import pytest

from procedures.models import Notice
from tests.dossiers import dossier_in

pytestmark = pytest.mark.django_db

CLEAR = ["022090001234", "0912345678", "an@example.vn", "Số 1 Lê Thánh Tông, Hạ Long"]
MASKED = ["*********234", "*******678", "**********.vn"]


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def dossier(world):
    return dossier_in(world, "intake")  # accepted: a receipt notice to an@example.vn


def test_a_leader_sees_the_applicant_masked_on_the_dossier_page(client, world, dossier):
    html = page(client, world.leader, f"/admin/procedures/dossier/{dossier.pk}/change/")

    assert "Nguyễn Văn An" in html
    for value in CLEAR:
        assert value not in html
    for value in MASKED:
        assert value in html


def test_an_administrator_sees_the_applicant_masked_like_in_the_api(client, world, dossier):
    html = page(client, world.admin, f"/admin/procedures/dossier/{dossier.pk}/change/")
    for value in CLEAR:
        assert value not in html


@pytest.mark.parametrize("who", ["clerk", "inspector"])
def test_the_handling_unit_and_inspectors_see_the_applicant_in_full(client, world, dossier, who):
    html = page(client, getattr(world, who), f"/admin/procedures/dossier/{dossier.pk}/change/")
    for value in CLEAR:
        assert value in html


def test_the_notice_list_masks_citizens_emails_for_leaders(client, world, dossier):
    assert Notice.objects.filter(recipient="an@example.vn").exists()

    leader_list = page(client, world.leader, "/admin/procedures/notice/")
    clerk_list = page(client, world.clerk, "/admin/procedures/notice/")

    assert "an@example.vn" not in leader_list
    assert "**********.vn" in leader_list
    assert "an@example.vn" in clerk_list


def test_the_notice_page_masks_the_email_in_the_recipient_and_the_error(client, world, dossier):
    notice = Notice.objects.get(recipient="an@example.vn")
    notice.last_error = "SMTPRecipientsRefused: an@example.vn unknown"
    notice.save()

    html = page(client, world.leader, f"/admin/procedures/notice/{notice.pk}/change/")

    assert "an@example.vn" not in html
    assert "SMTPRecipientsRefused: **********.vn unknown" in html


def test_searching_notices_by_email_finds_nothing_for_leaders(client, world, dossier):
    html = page(client, world.leader, "/admin/procedures/notice/?q=an%40example.vn")
    assert "**********.vn" not in html
