"""Reading PDFs back with tools nobody here wrote (Debian's poppler-utils, zbar)."""

import subprocess
from pathlib import Path


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
