"""Storing scans, digitizing components and attaching the result document."""

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from digitization.models import DigitizedFile
from digitization.services import FileTooLarge, attach_result, digitize_component, store_file
from procedures import services
from procedures.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from procedures.models import DigitizationStatus, Dossier, DossierComponent, DossierState
from tests.dossiers import dossier_in, new_dossier
from tests.factories import UnitFactory, UserFactory, pdf_upload

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
S = DossierState
pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"


# --- store_file ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("to-khai.pdf", PDF, "application/pdf"),
        ("anh-chup.jpg", JPEG, "image/jpeg"),
        ("ban-quet.png", PNG, "image/png"),
    ],
)
def test_store_file_accepts_pdf_jpeg_and_png_by_their_bytes(world, name, body, content_type):
    stored = store_file(upload=SimpleUploadedFile(name, body), actor=world.clerk)
    stored.refresh_from_db()
    assert stored.content_type == content_type
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert stored.size == len(body)
    assert stored.original_name == name
    assert stored.uploaded_by == world.clerk
    with stored.file.open("rb") as saved:
        assert saved.read() == body


def test_store_file_reads_the_type_from_the_bytes_not_the_name(world):
    stored = store_file(upload=SimpleUploadedFile("scan.pdf", PNG), actor=world.clerk)
    assert stored.content_type == "image/png"


def test_store_file_names_the_stored_file_by_its_hash_not_the_citizens_file_name(world):
    stored = store_file(upload=SimpleUploadedFile("CCCD Nguyen Van An.pdf", PDF), actor=world.clerk)
    assert stored.file.name.startswith("digitized/")
    assert hashlib.sha256(PDF).hexdigest() in stored.file.name
    assert "Nguyen" not in stored.file.name


def test_store_file_hashes_a_file_larger_than_one_chunk(world):
    body = b"%PDF-1.4\n" + bytes(range(256)) * 40_000  # about 10 MB, several chunks
    stored = store_file(upload=SimpleUploadedFile("lon.pdf", body), actor=world.clerk)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert stored.size == len(body)


def test_store_file_rejects_a_text_file_renamed_pdf(world):
    upload = SimpleUploadedFile("to-khai.pdf", b"Day khong phai la tep PDF\n")
    with pytest.raises(InvalidInput) as caught:
        store_file(upload=upload, actor=world.clerk)
    assert not isinstance(caught.value, FileTooLarge)
    assert caught.value.code == "invalid"
    assert list(caught.value.fields) == ["file"]
    assert DigitizedFile.objects.count() == 0


def test_store_file_rejects_an_empty_file(world):
    with pytest.raises(InvalidInput) as caught:
        store_file(upload=SimpleUploadedFile("rong.pdf", b""), actor=world.clerk)
    assert list(caught.value.fields) == ["file"]
    assert DigitizedFile.objects.count() == 0


def test_store_file_rejects_a_file_over_the_upload_limit(world, settings):
    settings.UPLOAD_MAX_BYTES = len(PDF) - 1
    with pytest.raises(FileTooLarge) as caught:
        store_file(upload=SimpleUploadedFile("to-khai.pdf", PDF), actor=world.clerk)
    assert caught.value.code == "file_too_large"
    assert list(caught.value.fields) == ["file"]
    assert DigitizedFile.objects.count() == 0


def test_store_file_accepts_a_file_exactly_at_the_upload_limit(world, settings):
    settings.UPLOAD_MAX_BYTES = len(PDF)
    stored = store_file(upload=SimpleUploadedFile("to-khai.pdf", PDF), actor=world.clerk)
    assert stored.size == len(PDF)


# --- digitize_component ----------------------------------------------------------------------


def first_component(dossier) -> DossierComponent:
    return dossier.components.order_by("position").first()


def test_reusing_digitized_data_marks_the_component_reused(world):
    dossier = dossier_in(world, S.INTAKE)
    at = datetime(2026, 11, 26, 9, 0, tzinfo=HCM)
    component = digitize_component(
        component=first_component(dossier),
        actor=world.clerk,
        reused_from="  KHO-CSDLQG-0001  ",
        at=at,
    )
    component.refresh_from_db()
    assert component.status == DigitizationStatus.REUSED
    assert component.reused_from == "KHO-CSDLQG-0001"
    assert component.file is None
    assert (component.digitized_by, component.digitized_at) == (world.clerk, at)


def test_scanning_a_file_marks_the_component_scanned_with_the_file(world):
    dossier = dossier_in(world, S.INTAKE)
    component = digitize_component(
        component=first_component(dossier),
        actor=world.clerk,
        upload=SimpleUploadedFile("to-khai.pdf", PDF),
    )
    component.refresh_from_db()
    assert component.status == DigitizationStatus.SCANNED
    assert component.file.sha256 == hashlib.sha256(PDF).hexdigest()
    assert component.reused_from == ""
    assert component.digitized_by == world.clerk


def test_rescanning_a_reused_component_replaces_the_reference_with_the_file(world):
    dossier = dossier_in(world, S.INTAKE)
    component = first_component(dossier)
    digitize_component(component=component, actor=world.clerk, reused_from="KHO-1")
    digitize_component(component=component, actor=world.clerk, upload=pdf_upload("rescan"))
    component.refresh_from_db()
    assert (component.status, component.reused_from) == (DigitizationStatus.SCANNED, "")
    assert component.file is not None


def test_digitizing_a_submitted_dossier_is_allowed(world):
    dossier = new_dossier(world)
    assert dossier.state == S.SUBMITTED
    component = digitize_component(
        component=first_component(dossier), actor=world.clerk, reused_from="KHO-7"
    )
    assert component.status == DigitizationStatus.REUSED


def test_digitizing_raises_the_dossiers_updated_at(world):
    dossier = dossier_in(world, S.INTAKE)
    before = dossier.updated_at
    digitize_component(component=first_component(dossier), actor=world.clerk, reused_from="K-1")
    dossier.refresh_from_db()
    assert dossier.updated_at > before


@pytest.mark.parametrize(
    ("upload", "reused_from"),
    [(True, "KHO-1"), (False, ""), (False, "   ")],
    ids=["both", "neither", "blank-reference"],
)
def test_digitizing_needs_exactly_one_of_file_or_reference(world, upload, reused_from):
    dossier = dossier_in(world, S.INTAKE)
    component = first_component(dossier)
    with pytest.raises(InvalidInput) as caught:
        digitize_component(
            component=component,
            actor=world.clerk,
            upload=pdf_upload() if upload else None,
            reused_from=reused_from,
        )
    assert list(caught.value.fields) == ["file"]
    component.refresh_from_db()
    assert component.status == DigitizationStatus.PENDING
    assert DigitizedFile.objects.count() == 0


@pytest.mark.parametrize("who", ["specialist", "approver", "inspector", "other_clerk"])
def test_only_a_clerk_of_the_dossiers_unit_digitizes(world, who):
    dossier = dossier_in(world, S.INTAKE)
    component = first_component(dossier)
    with pytest.raises(ActionForbidden):
        digitize_component(component=component, actor=getattr(world, who), reused_from="KHO-1")
    component.refresh_from_db()
    assert component.status == DigitizationStatus.PENDING
    assert component.digitized_by is None


def test_administrator_may_digitize_for_any_unit(world):
    dossier = dossier_in(world, S.INTAKE)
    component = digitize_component(
        component=first_component(dossier), actor=world.admin, reused_from="KHO-9"
    )
    assert (component.status, component.digitized_by) == (DigitizationStatus.REUSED, world.admin)


def test_clerk_covering_child_units_digitizes_for_a_child_unit(world):
    city = UnitFactory(code="000.00.31.H40", name="Thành phố Hạ Long", block="locality")
    world.unit.parent = city
    world.unit.save()
    city_clerk = UserFactory(
        username="ha-long-clerk", role="clerk", unit=city, covers_child_units=True
    )
    dossier = dossier_in(world, S.INTAKE)
    component = digitize_component(
        component=first_component(dossier), actor=city_clerk, reused_from="KHO-2"
    )
    assert component.status == DigitizationStatus.REUSED


def test_components_cannot_be_digitized_after_forwarding_to_appraisal(world):
    dossier = dossier_in(world, S.APPRAISAL)
    component = first_component(dossier)
    before = (component.status, component.reused_from)
    with pytest.raises(TransitionNotAllowed):
        digitize_component(component=component, actor=world.clerk, upload=pdf_upload("late"))
    component.refresh_from_db()
    assert (
        (component.status, component.reused_from) == before == (DigitizationStatus.REUSED, "KHO-1")
    )
    assert DigitizedFile.objects.count() == 0


def test_components_may_be_digitized_while_awaiting_a_supplement(world):
    dossier = dossier_in(world, S.SUPPLEMENT)
    component = digitize_component(
        component=first_component(dossier), actor=world.clerk, upload=pdf_upload("bo-sung")
    )
    assert component.status == DigitizationStatus.SCANNED


@pytest.mark.parametrize("state", [S.COMPLETED, S.REFUSED, S.WITHDRAWN])
def test_components_of_a_closed_dossier_cannot_be_digitized(world, state):
    dossier = dossier_in(world, state)
    with pytest.raises(TransitionNotAllowed):
        digitize_component(
            component=first_component(dossier), actor=world.clerk, reused_from="KHO-1"
        )


def test_digitizing_every_required_component_lets_the_clerk_forward(world):
    dossier = dossier_in(world, S.INTAKE)
    for component in dossier.components.filter(required=True):
        digitize_component(component=component, actor=world.clerk, reused_from="KHO-3")
    moved = services.forward_dossier(dossier=dossier, actor=world.clerk)
    assert moved.state == S.APPRAISAL


# --- attach_result ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.APPROVAL, S.SIGNING])
def test_approver_attaches_the_result_and_the_version_rises_by_one(world, state):
    dossier = dossier_in(world, state)
    version = dossier.version
    attached = attach_result(
        dossier=dossier, actor=world.approver, upload=SimpleUploadedFile("kq.pdf", PDF)
    )
    assert attached.version == version + 1
    stored = Dossier.objects.get(pk=dossier.pk)
    assert stored.version == version + 1
    assert stored.result_file.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.result_file.uploaded_by == world.approver
    assert stored.state == state


def test_attaching_again_replaces_the_result_and_raises_the_version_again(world):
    dossier = dossier_in(world, S.SIGNING)
    first = attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload("v1"))
    second = attach_result(dossier=first, actor=world.approver, upload=pdf_upload("v2"))
    assert second.version == dossier.version + 2
    assert second.result_file_id != first.result_file_id


def test_attached_result_lets_the_approver_sign(world):
    dossier = dossier_in(world, S.SIGNING)
    attached = attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload())
    signed = services.sign_result(dossier=attached, actor=world.approver)
    assert signed.state == S.DELIVERY
    assert signed.result_signed_by == world.approver


@pytest.mark.parametrize("who", ["clerk", "inspector", "other_clerk"])
def test_others_cannot_attach_the_result(world, who):
    dossier = dossier_in(world, S.APPROVAL)
    with pytest.raises(ActionForbidden):
        attach_result(dossier=dossier, actor=getattr(world, who), upload=pdf_upload())
    stored = Dossier.objects.get(pk=dossier.pk)
    assert (stored.result_file_id, stored.version) == (None, dossier.version)


def test_approver_of_another_unit_cannot_attach_the_result(world):
    outsider = UserFactory(username="other-approver", role="approver", unit=world.other_unit)
    dossier = dossier_in(world, S.APPROVAL)
    with pytest.raises(ActionForbidden):
        attach_result(dossier=dossier, actor=outsider, upload=pdf_upload())
    assert Dossier.objects.get(pk=dossier.pk).result_file_id is None


@pytest.mark.parametrize("state", [S.INTAKE, S.APPRAISAL, S.DELIVERY])
def test_result_cannot_be_attached_outside_approval_and_signing(world, state):
    dossier = dossier_in(world, state)
    result_before = dossier.result_file_id
    with pytest.raises(TransitionNotAllowed):
        attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload())
    stored = Dossier.objects.get(pk=dossier.pk)
    assert (stored.result_file_id, stored.version) == (result_before, dossier.version)


def test_attaching_a_non_pdf_result_is_rejected_and_changes_nothing(world):
    dossier = dossier_in(world, S.SIGNING)
    upload = ContentFile(b"<html>ket qua</html>", name="kq.pdf")
    with pytest.raises(InvalidInput):
        attach_result(dossier=dossier, actor=world.approver, upload=upload)
    stored = Dossier.objects.get(pk=dossier.pk)
    assert (stored.result_file_id, stored.version) == (None, dossier.version)
