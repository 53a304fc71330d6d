"""Real result PDFs and signing credentials for every test that signs (shared by all test packages).

`signing_keys` (session) makes one test CA and one PKCS#12 credential for the username
`approver` (the world's approver) once; `_signing_settings` points the settings at them for
every test, and the `world` fixture registers that certificate for its approver.
"""

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSPHRASE = "mật-khẩu-ký-số-thử"
APPROVER_NAME = "Trần Thị Bích"


def result_pdf(title: str = "QUYẾT ĐỊNH", noise_bytes: int = 0) -> bytes:
    """A real one-page A4 PDF; `noise_bytes` of incompressible image data make it that large."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from documents.rendering import FONT, register_fonts

    register_fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setFont(FONT, 14)
    page.drawString(72, 760, title)
    page.drawString(72, 740, "Cấp cho: Nguyễn Văn An")
    if noise_bytes:
        side = int((noise_bytes / 3) ** 0.5)
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        page.drawImage(ImageReader(image), 72, 300, width=400, height=400)
    page.showPage()
    page.save()
    return buffer.getvalue()


def result_upload(tag: str = "kq"):
    from django.core.files.base import ContentFile

    return ContentFile(result_pdf(f"QUYẾT ĐỊNH {tag}"), name=f"{tag}.pdf")


@dataclass
class SigningKeys:
    directory: Path
    approver_certificate: object  # cryptography x509.Certificate


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory) -> SigningKeys:
    from cryptography.hazmat.primitives.serialization import Encoding

    from documents.authority import create_ca, issue_certificate, pkcs12_bytes

    directory = tmp_path_factory.mktemp("signing-keys")
    ca = create_ca("CA ký số thử (phiên kiểm thử)")
    (directory / "ca.pem").write_bytes(ca.certificate.public_bytes(Encoding.PEM))
    approver = issue_certificate(
        ca, full_name=APPROVER_NAME, unit_name="Phường Hồng Gai", username="approver"
    )
    (directory / "approver.p12").write_bytes(
        pkcs12_bytes(
            approver, name="approver", chain=[ca.certificate], passphrase=PASSPHRASE.encode()
        )
    )
    return SigningKeys(directory=directory, approver_certificate=approver.certificate)


@pytest.fixture(autouse=True)
def _signing_settings(settings, signing_keys):
    settings.SIGNING_KEY_DIR = signing_keys.directory
    settings.SIGNING_KEY_PASSPHRASE = PASSPHRASE
    settings.SIGNING_KEY_PASSPHRASE_FILE = ""
    settings.SIGNING_TRUST_ROOTS = [str(signing_keys.directory / "ca.pem")]


def give_signing_credential(user, signing_keys: SigningKeys) -> None:
    """Register the session's approver certificate for `user` (whose username is `approver`)."""
    from documents.authority import register_certificate

    register_certificate(user, signing_keys.approver_certificate)


@pytest.fixture
def signing(settings, tmp_path, world):
    """A provincial CA of this test alone in a temporary key directory, the trust root.

    It replaces the session's keys: the world's approver starts without a registered certificate.
    """
    from documents.authority import create_ca, save_ca
    from documents.models import SigningCertificate

    SigningCertificate.objects.all().delete()
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    settings.SIGNING_KEY_PASSPHRASE = PASSPHRASE
    settings.SIGNING_KEY_PASSPHRASE_FILE = ""
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "keys" / "ca.pem")]
    ca = create_ca("CA ký số thử tỉnh Quảng Ninh")
    save_ca(ca)
    return ca
