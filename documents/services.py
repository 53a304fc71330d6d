"""Signing a dossier's result (step 4) and accepting a result signed outside the system.

Both paths store the signed file and its hash and move the dossier through the existing `sign`
transition (procedures.services.sign_result) in one transaction: the state changes only when the
signed file is stored, and any failure leaves the dossier as it was.
"""

import hashlib
import tempfile
from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitization.models import DigitizedFile
from digitization.services import discard_file, store_file
from documents.forms import staff_name, time_dmy, verification_url
from documents.models import SignedResult, SigningCertificate, SigningMethod
from documents.signing import (
    CredentialError,
    StampText,
    check_signed_pdf,
    common_name,
    fingerprint,
    load_signer,
    sign_pdf,
    stamp_for_outside_signing,
)
from procedures import services as procedures
from procedures.errors import (
    ActionForbidden,
    ConcurrentChange,
    ConditionNotMet,
    TransitionNotAllowed,
)
from procedures.models import Dossier, DossierState, Role
from procedures.scoping import may_process_in

CHUNK = 1024 * 1024


def _check_may_sign(*, dossier: Dossier, actor) -> None:
    """What the `sign` transition will check, asked before any signing work is done."""
    if dossier.state != DossierState.SIGNING:
        raise TransitionNotAllowed()
    if not actor.is_active or not (
        actor.is_admin
        or (actor.effective_role == Role.APPROVER and may_process_in(actor, dossier.unit_id))
    ):
        raise ActionForbidden(_("Only an approver of the dossier's unit signs its result."))
    if dossier.result_file_id is None:
        raise ConditionNotMet(
            _("The result document must be attached before signing."), code="result_missing"
        )


def _locked(dossier: Dossier) -> Dossier:
    current = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("result_file", "unit", "procedure")
        .get(pk=dossier.pk)
    )
    if current.version != dossier.version:
        raise ConcurrentChange()
    return current


def _store_signed(stream, *, name: str, actor) -> DigitizedFile:
    """Store a signed PDF (streamed; signing adds a little, so the upload limit does not apply)."""
    digest, size = hashlib.sha256(), 0
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    stored = DigitizedFile(
        sha256=digest.hexdigest(),
        size=size,
        content_type="application/pdf",
        original_name=name[:255],
        uploaded_by=actor,
    )
    stored.file.save(stored.sha256, File(stream, name=name), save=False)
    stored.save()
    return stored


def _registered_certificate(user, certificate) -> SigningCertificate:
    registered = SigningCertificate.objects.filter(
        user=user, fingerprint=fingerprint(certificate)
    ).first()
    if registered is None:
        raise CredentialError(
            _("The certificate in the signing credential of %(user)s is not registered.")
            % {"user": user.username},
            code="signing_certificate_unregistered",
        )
    return registered


def sign_dossier_result(
    *, dossier: Dossier, actor, assignee=None, note: str = "", at: datetime | None = None
) -> Dossier:
    """Sign the result PDF with the approver's credential (PAdES, visible stamp) and move on."""
    _check_may_sign(dossier=dossier, actor=actor)
    signer = load_signer(actor)  # before anything is written: a missing credential changes nothing
    certificate = _registered_certificate(actor, signer.signing_cert)
    at = at or timezone.now()
    signer_name = common_name(signer.signing_cert) or staff_name(actor)
    unit_name = dossier.unit.name
    stored = None
    try:
        with transaction.atomic():
            current = _locked(dossier)
            stamp = StampText(
                signer_name=signer_name,
                unit=unit_name,
                time=time_dmy(at),
                url=verification_url(current.code),
            )
            with (
                current.result_file.file.open("rb") as source,
                tempfile.TemporaryFile() as output,
            ):
                try:
                    sign_pdf(source, output, signer=signer, stamp=stamp)
                except Exception as exc:  # pyHanko's errors on a file that is not a sound PDF
                    raise ConditionNotMet(
                        _("The result document is not a PDF that can be signed."),
                        code="result_not_signable",
                    ) from exc
                stored = _store_signed(output, name=f"{current.code}-signed.pdf", actor=actor)
            SignedResult.objects.create(
                dossier=current,
                file=stored,
                original=current.result_file,
                sha256=stored.sha256,
                method=SigningMethod.SERVER,
                signer=actor,
                signer_name=signer_name,
                signer_unit=unit_name,
                certificate=certificate,
                signed_at=at,
            )
            return procedures.sign_result(
                dossier=current, actor=actor, assignee=assignee, note=note, at=at
            )
    except Exception:
        discard_file(stored)
        raise


def perform_action(*, dossier: Dossier, actor, action: str, note: str = "", **arguments) -> Dossier:
    """A transition asked for by a person (API, desk, admin): `sign` signs the result if required.

    With RESULT_SIGNATURE_REQUIRED (the default) `sign` on a procedure that issues a result is made
    only by signing it (sign_dossier_result): an approver without a credential is refused and the
    dossier stays as it was. Without it, `sign` only records that the result was signed elsewhere.
    """
    if action == "sign" and settings.RESULT_SIGNATURE_REQUIRED and dossier.procedure.issues_result:
        return sign_dossier_result(dossier=dossier, actor=actor, note=note, **arguments)
    return procedures.perform_transition(
        dossier=dossier, actor=actor, action=action, note=note, **arguments
    )


def accept_signed_result(
    *, dossier: Dossier, actor, upload, assignee=None, note: str = "", at: datetime | None = None
) -> Dossier:
    """Accept a result the approver signed outside the system, after checking the signature."""
    _check_may_sign(dossier=dossier, actor=actor)
    at = at or timezone.now()
    upload.seek(0)
    checked = check_signed_pdf(
        upload,
        now=at,
        allowed_fingerprints=set(
            SigningCertificate.objects.filter(user=actor).values_list("fingerprint", flat=True)
        ),
    )
    certificate = SigningCertificate.objects.get(fingerprint=fingerprint(checked.certificate))
    stored = None
    try:
        with transaction.atomic():
            current = _locked(dossier)
            upload.seek(0)
            stored = store_file(upload=upload, actor=actor)
            SignedResult.objects.create(
                dossier=current,
                file=stored,
                original=current.result_file,
                sha256=stored.sha256,
                method=SigningMethod.UPLOAD,
                signer=actor,
                signer_name=checked.signer_name,
                signer_unit=current.unit.name,
                certificate=certificate,
                signed_at=checked.signed_at or at,
            )
            return procedures.sign_result(
                dossier=current, actor=actor, assignee=assignee, note=note, at=at
            )
    except Exception:
        discard_file(stored)
        raise


def result_for_outside_signing(*, dossier: Dossier, actor) -> bytes:
    """The attached result with its verification QR code, to be signed outside the system."""
    _check_may_sign(dossier=dossier, actor=actor)
    with dossier.result_file.file.open("rb") as source, tempfile.TemporaryFile() as output:
        try:
            stamp_for_outside_signing(
                source, output, unit=dossier.unit.name, url=verification_url(dossier.code)
            )
        except Exception as exc:
            raise ConditionNotMet(
                _("The result document is not a PDF that can be signed."),
                code="result_not_signable",
            ) from exc
        output.seek(0)
        return output.read()


def file_sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in (
        upload.chunks(CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(CHUNK), b"")
    ):
        digest.update(chunk)
    return digest.hexdigest()
