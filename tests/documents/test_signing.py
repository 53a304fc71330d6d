"""PAdES signatures of results: checked by Debian's pdfsig and by pyHanko's own validation."""

import io
import subprocess
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from digitization.services import attach_result
from documents.authority import create_ca, issue_certificate, issue_credential, pkcs12_bytes
from documents.models import SignedResult
from documents.signing import StampText, credential_path, load_signer, load_trust_roots, sign_pdf
from procedures.models import Dossier, DossierState
from tests.api_client import error_of
from tests.documents.conftest import PASSPHRASE, result_pdf
from tests.dossiers import dossier_in
from tests.factories import UserFactory

S = DossierState
SIGNER = "Trần Thị Bích"

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(world, signing):
    world.approver.first_name, world.approver.last_name = "Trần Thị", "Bích"
    world.approver.save()
    issue_credential(world.approver, signing)
    return world.approver


def awaiting_signature(world):
    dossier = dossier_in(world, S.SIGNING)
    upload = ContentFile(result_pdf(), name="ket-qua.pdf")
    return attach_result(dossier=dossier, actor=world.approver, upload=upload)


def pdfsig(content: bytes, tmp_path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(content)
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    return result.stdout + result.stderr


def pyhanko_status(content: bytes):
    reader = PdfFileReader(io.BytesIO(content), strict=False)
    context = ValidationContext(
        trust_roots=load_trust_roots(), allow_fetching=False, revocation_mode="soft-fail"
    )
    return validate_pdf_signature(reader.embedded_signatures[0], context)


def signed_elsewhere(user, content: bytes) -> bytes:
    """What an approver's USB token or remote-signing service hands back."""
    output = io.BytesIO()
    stamp = StampText(signer_name=user.get_full_name(), unit="", time="", url="https://x.vn/")
    sign_pdf(io.BytesIO(content), output, signer=load_signer(user), stamp=stamp)
    return output.getvalue()


def sign(api, user, dossier):
    return api.as_(user).post(f"/api/v1/dossiers/{dossier.code}/result/sign/", {}, format="json")


def test_signing_stores_a_signed_result_that_pdfsig_and_pyhanko_find_valid(
    api, world, approver, tmp_path
):
    dossier = awaiting_signature(world)
    original = dossier.result_file

    response = sign(api, approver, dossier)

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "delivery"
    signed = SignedResult.objects.get(dossier=dossier)
    content = signed.file.file.read()
    assert signed.sha256 == signed.file.sha256
    assert (signed.signer, signed.signer_name, signed.method) == (approver, SIGNER, "server")
    report = pdfsig(content, tmp_path)
    assert "Signature is Valid" in report
    assert f"Signer Certificate Common Name: {SIGNER}" in report
    status = pyhanko_status(content)
    assert status.intact and status.valid and status.trusted
    # the unsigned original is kept as it was
    saved = Dossier.objects.get(pk=dossier.pk)
    assert saved.result_file == original == signed.original
    assert saved.result_file.file.read() == result_pdf()


def test_one_changed_byte_makes_both_validators_report_invalid(api, world, approver, tmp_path):
    dossier = awaiting_signature(world)
    sign(api, approver, dossier)
    content = bytearray(SignedResult.objects.get().file.file.read())
    content[len(result_pdf()) // 2] ^= 0x01  # inside the original, which the signature covers

    report = pdfsig(bytes(content), tmp_path)
    status = pyhanko_status(bytes(content))

    assert "Signature is Valid" not in report
    assert not (status.intact and status.valid)


def test_the_signed_result_carries_a_qr_code_of_the_verification_page(
    api, world, approver, read_qr, settings
):
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    dossier = awaiting_signature(world)
    sign(api, approver, dossier)

    content = SignedResult.objects.get().file.file.read()

    assert read_qr(content) == [f"https://dichvucong.quangninh.gov.vn/xac-thuc/{dossier.code}/"]


def test_without_a_credential_signing_is_409_and_the_dossier_unchanged(api, world, signing):
    dossier = awaiting_signature(world)

    response = sign(api, world.approver, dossier)

    assert response.status_code == 409
    assert error_of(response)["code"] == "signing_credential_missing"
    saved = Dossier.objects.get(pk=dossier.pk)
    assert (saved.state, saved.version) == (S.SIGNING, dossier.version)
    assert not SignedResult.objects.exists()


def test_a_wrong_passphrase_is_409_and_the_dossier_unchanged(api, world, approver, settings):
    dossier = awaiting_signature(world)
    settings.SIGNING_KEY_PASSPHRASE = "not-the-passphrase"

    response = sign(api, approver, dossier)

    assert response.status_code == 409
    assert error_of(response)["code"] == "signing_credential_invalid"
    assert Dossier.objects.get(pk=dossier.pk).state == S.SIGNING


def test_the_passphrase_may_come_from_a_secret_file(api, world, approver, settings, tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    settings.SIGNING_KEY_PASSPHRASE, settings.SIGNING_KEY_PASSPHRASE_FILE = "", str(secret)
    dossier = awaiting_signature(world)

    assert sign(api, approver, dossier).status_code == 200


def test_the_sign_transition_signs_when_signatures_are_required(api, world, approver, settings):
    settings.RESULT_SIGNATURE_REQUIRED = True
    dossier = awaiting_signature(world)
    unsigned = dossier_in(world, S.SIGNING)
    attach_result(
        dossier=unsigned, actor=world.approver, upload=ContentFile(result_pdf(), name="kq.pdf")
    )
    world.approver.refresh_from_db()

    response = api.as_(approver).post(f"/api/v1/dossiers/{dossier.code}/sign/", {}, format="json")

    assert response.status_code == 200
    assert SignedResult.objects.get().dossier == dossier


def test_an_upload_signed_elsewhere_by_the_approver_is_accepted(api, world, approver, tmp_path):
    dossier = awaiting_signature(world)
    content = signed_elsewhere(approver, result_pdf())

    response = upload(api, approver, dossier, content)

    assert response.status_code == 200, response.json()
    signed = SignedResult.objects.get()
    assert (signed.method, signed.signer_name) == ("upload", SIGNER)
    assert signed.file.file.read() == content


def upload(api, user, dossier, content):
    return api.as_(user).post(
        f"/api/v1/dossiers/{dossier.code}/result/signed/",
        {"file": ContentFile(content, name="da-ky.pdf")},
        format="multipart",
    )


def test_uploads_failing_a_check_are_400_naming_it(api, world, approver, signing, settings):
    dossier = awaiting_signature(world)
    now = timezone.now()
    # signed by a certificate of a CA outside the trust root
    outsider_ca = create_ca("CA lạ")
    outsider = issue_certificate(
        outsider_ca, full_name=SIGNER, unit_name="", username=approver.username
    )
    credential_path(approver.username).write_bytes(
        pkcs12_bytes(
            outsider, name="x", chain=[outsider_ca.certificate], passphrase=PASSPHRASE.encode()
        )
    )
    from documents.authority import register_certificate

    register_certificate(approver, outsider.certificate)
    untrusted = signed_elsewhere(approver, result_pdf())
    # signed with an expired certificate of the trusted CA
    issue_credential(
        approver,
        signing,
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=1),
    )
    expired = signed_elsewhere(approver, result_pdf())
    # signed by another approver of the unit
    colleague = UserFactory(username="approver2", role="approver", unit=world.unit)
    issue_credential(colleague, signing)
    by_colleague = signed_elsewhere(colleague, result_pdf())
    issue_credential(approver, signing)
    tampered = bytearray(signed_elsewhere(approver, result_pdf()))
    tampered[len(result_pdf()) // 2] ^= 0x01

    answers = {
        name: upload(api, approver, dossier, content)
        for name, content in {
            "untrusted": untrusted,
            "expired": expired,
            "wrong_signer": by_colleague,
            "not_intact": bytes(tampered),
            "missing": result_pdf(),
        }.items()
    }

    for check, response in answers.items():
        assert response.status_code == 400, (check, response.json())
        assert error_of(response)["code"] == f"signature_{check}"
        assert "file" in error_of(response)["fields"]
    saved = Dossier.objects.get(pk=dossier.pk)
    assert (saved.state, saved.version) == (S.SIGNING, dossier.version)
    assert not SignedResult.objects.exists()


def test_only_an_approver_of_the_unit_signs(api, world, approver):
    dossier = awaiting_signature(world)

    assert sign(api, world.clerk, dossier).status_code == 403
    assert sign(api, world.other_clerk, dossier).status_code == 404


def test_a_result_prepared_for_outside_signing_keeps_its_qr_code_once_signed(
    api, world, approver, read_qr, settings
):
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    dossier = awaiting_signature(world)
    prepared = api.as_(approver).get(f"/api/v1/dossiers/{dossier.code}/result/for-signing/")
    assert prepared.status_code == 200

    response = upload(api, approver, dossier, signed_elsewhere(approver, prepared.content))

    assert response.status_code == 200, response.json()
    signed = SignedResult.objects.get().file.file.read()
    assert f"https://dichvucong.quangninh.gov.vn/xac-thuc/{dossier.code}/" in read_qr(signed)


# --- `sign` signs by default (RESULT_SIGNATURE_REQUIRED is true unless a deployment opts out) ---


def test_the_sign_endpoint_with_default_settings_stores_a_result_pyhanko_validates(api, world):
    from django.conf import settings as defaults

    assert defaults.RESULT_SIGNATURE_REQUIRED is True
    dossier = awaiting_signature(world)  # the session test CA; world.approver holds its credential

    response = api.as_(world.approver).post(
        f"/api/v1/dossiers/{dossier.code}/sign/", {}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "delivery"
    signed = SignedResult.objects.get(dossier=dossier)
    assert (signed.method, signed.signer) == ("server", world.approver)
    status = pyhanko_status(signed.file.file.read())
    assert status.intact and status.valid and status.trusted


def test_the_sign_endpoint_without_a_credential_is_409_in_vietnamese(api, world, signing):
    dossier = awaiting_signature(world)  # `signing`: a key directory without approver.p12
    world.approver.signing_certificates.all().delete()

    response = api.as_(world.approver).post(
        f"/api/v1/dossiers/{dossier.code}/sign/", {}, format="json", HTTP_ACCEPT_LANGUAGE="vi"
    )

    assert response.status_code == 409
    assert error_of(response)["code"] == "signing_credential_missing"
    assert error_of(response)["message"] == "Chưa cấp chứng thư ký số cho approver."
    saved = Dossier.objects.get(pk=dossier.pk)
    assert (saved.state, saved.version) == (S.SIGNING, dossier.version)
    assert not SignedResult.objects.exists()


def test_a_deployment_signing_outside_may_turn_the_requirement_off(api, world, settings):
    settings.RESULT_SIGNATURE_REQUIRED = False
    dossier = awaiting_signature(world)

    response = api.as_(world.approver).post(
        f"/api/v1/dossiers/{dossier.code}/sign/", {}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["state"] == "delivery"
    assert not SignedResult.objects.exists()
