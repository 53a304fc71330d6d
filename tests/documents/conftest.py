"""Helpers that read the PDFs back with tools nobody here wrote (Debian's poppler-utils, zbar)."""

import subprocess
from pathlib import Path

import pytest


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


def qr_codes(content: bytes, tmp_path: Path) -> list[str]:
    """Every QR code on the PDF's pages, decoded by zbarimg from a 200 dpi rendering."""
    path = tmp_path / "qr.pdf"
    path.write_bytes(content)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "page")], check=True)
    found = []
    for page in sorted(tmp_path.glob("page*.png")):
        result = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(page)],
            capture_output=True,
            text=True,
        )
        found += [line for line in result.stdout.splitlines() if line]
    return found


@pytest.fixture
def read_pdf(tmp_path):
    return lambda content: pdf_text(content, tmp_path)


@pytest.fixture
def read_qr(tmp_path):
    return lambda content: qr_codes(content, tmp_path)


# --- result PDFs and signing credentials ------------------------------------------------------

PASSPHRASE = "mật-khẩu-ký-số-thử"


def result_pdf(title: str = "QUYẾT ĐỊNH", noise_bytes: int = 0) -> bytes:
    """A real one-page A4 PDF; `noise_bytes` of incompressible image data make it that large."""
    import io
    import os

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


@pytest.fixture
def signing(settings, tmp_path):
    """A provincial CA in a temporary key directory, its certificate the trust root."""
    from documents.authority import create_ca, save_ca

    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    settings.SIGNING_KEY_PASSPHRASE = PASSPHRASE
    settings.SIGNING_KEY_PASSPHRASE_FILE = ""
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "keys" / "ca.pem")]
    ca = create_ca("CA ký số thử tỉnh Quảng Ninh")
    save_ca(ca)
    return ca
