"""Digitizing dossier components and attaching the result document."""

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitization.models import DigitizedFile
from procedures import authorization
from procedures.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from procedures.models import DigitizationStatus, Dossier, DossierComponent, DossierState, Role
from procedures.services import dossiers as dossier_services

ACCEPTED_TYPES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}


class FileTooLarge(InvalidInput):
    status = 413
    code = "file_too_large"


def sniff_content_type(head: bytes) -> str | None:
    for magic, content_type in ACCEPTED_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def store_file(*, upload, actor) -> DigitizedFile:
    """Store an uploaded PDF, JPEG or PNG with its SHA-256. The type is read from the bytes."""
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise FileTooLarge(
            _("The file is larger than the limit of %(limit)s MB.")
            % {"limit": settings.UPLOAD_MAX_BYTES // (1024 * 1024)},
            fields={"file": [_("File too large.")]},
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    if content_type is None:
        raise InvalidInput(fields={"file": [_("Only PDF, JPEG and PNG files are accepted.")]})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored = DigitizedFile(
        sha256=digest.hexdigest(),
        size=upload.size,
        content_type=content_type,
        original_name=(getattr(upload, "name", "") or "")[:255],
        uploaded_by=actor,
    )
    stored.file.save(stored.sha256, upload, save=False)
    stored.save()
    return stored


def digitize_component(
    *, component: DossierComponent, actor, upload=None, reused_from: str = "", at=None
) -> DossierComponent:
    """Record that a component was scanned (a file) or reused from already digitized data."""
    if (upload is None) == (not reused_from.strip()):
        raise InvalidInput(
            fields={"file": [_("Send either a file or the reference of reused data, not both.")]}
        )
    at = at or timezone.now()
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=component.dossier_id)
        if not authorization.may_act(actor, roles={Role.CLERK}, unit=dossier.unit_id):
            raise ActionForbidden()
        if dossier.state not in (
            DossierState.SUBMITTED,
            DossierState.INTAKE,
            DossierState.SUPPLEMENT,
        ):
            raise TransitionNotAllowed(_("Components are digitized at intake only."))
        component = DossierComponent.objects.select_for_update().get(pk=component.pk)
        if upload is not None:
            component.file = store_file(upload=upload, actor=actor)
            component.status = DigitizationStatus.SCANNED
            component.reused_from = ""
        else:
            component.file = None
            component.status = DigitizationStatus.REUSED
            component.reused_from = reused_from.strip()[:255]
        component.digitized_at = at
        component.digitized_by = actor
        component.save()
        dossier_services.record_change(dossier_id=dossier.pk)
    return component


def discard_file(stored: DigitizedFile | None) -> None:
    """After a rollback: remove a file written for a row that no longer exists.

    Files are content-addressed, so one still used by another row stays.
    """
    if stored is None or not stored.file.name:
        return
    if not DigitizedFile.objects.filter(file=stored.file.name).exists():
        stored.file.storage.delete(stored.file.name)


def attach_result(*, dossier: Dossier, actor, upload, at=None) -> Dossier:
    """Attach the result document (to be signed at step 4); logged as `attach_result`."""
    stored = []

    def store():
        stored.append(store_file(upload=upload, actor=actor))
        return stored[0]

    try:
        return dossier_services.attach_result_file(dossier=dossier, actor=actor, store=store, at=at)
    except Exception:
        discard_file(stored[0] if stored else None)  # the row went with the transaction
        raise
