"""Helpers that read the PDFs back with tools nobody here wrote (Debian's poppler-utils, zbar)."""

import pytest

from tests.pdf import pdf_text, qr_codes


@pytest.fixture
def read_pdf(tmp_path):
    return lambda content: pdf_text(content, tmp_path)


@pytest.fixture
def read_qr(tmp_path):
    return lambda content: qr_codes(content, tmp_path)


# Result PDFs and the `signing` fixture now live in tests/signing.py (shared by all tests).
from tests.signing import PASSPHRASE, result_pdf  # noqa: E402,F401  (imported by the tests here)
