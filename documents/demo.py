"""The demo's signing keys (manage.py seed_demo): a provincial CA and a credential per approver.

They are written under SIGNING_KEY_DIR (default `secrets/signing/`, git-ignored), protected by
the signing passphrase, which with DEBUG on defaults to the demo's DEMO_SIGNING_PASSPHRASE.
Demo only: a real deployment runs create_signing_ca / issue_signing_certificate with its own
passphrase file (README, "Documents").
"""

import io
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from documents.authority import CA_KEY, create_ca, issue_credential, load_ca, save_ca
from documents.signing import credential_path

DEMO_CA_NAME = "CA ký số tỉnh Quảng Ninh (bản demo)"


def seed_signing(approvers) -> int:
    """Make the demo CA once and a credential for each approver lacking one; how many were made."""
    if (Path(settings.SIGNING_KEY_DIR) / CA_KEY).is_file():
        ca = load_ca()
    else:
        ca = create_ca(DEMO_CA_NAME)
        save_ca(ca)
    made = 0
    not_before = timezone.now() - timedelta(days=365)  # the demo's dossiers go back 90 days
    for user in approvers:
        if credential_path(user.username).is_file() and user.signing_certificates.exists():
            continue
        issue_credential(user, ca, not_before=not_before)
        made += 1
    return made


def result_document(code: str) -> ContentFile:
    """A real one-page result PDF for a demo dossier, which the approver then signs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from documents.rendering import FONT, register_fonts

    register_fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setFont(FONT, 14)
    page.drawString(72, 760, "QUYẾT ĐỊNH (bản demo)")
    page.drawString(72, 740, f"Hồ sơ {code}")
    page.showPage()
    page.save()
    return ContentFile(buffer.getvalue(), name=f"{code}-kq.pdf")
