"""PAdES signatures with pyHanko: approvers' credentials, signing a result, checking an upload.

An approver's credential is a PKCS#12 file `<SIGNING_KEY_DIR>/<username>.p12` protected by the
deployment's signing passphrase (SIGNING_KEY_PASSPHRASE_FILE or SIGNING_KEY_PASSPHRASE); nothing
secret is kept in the database. The certificates (public) are registered in SigningCertificate.
"""

import functools
import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import QRStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from procedures.errors import ConditionNotMet, InvalidInput

SIGNATURE_FIELD = "KySoKetQua"
SIGNATURE_BYTES_RESERVED = 16 * 1024


class CredentialError(ConditionNotMet):
    """The approver cannot sign here: no credential, or it cannot be opened (409)."""

    code = "signing_credential_missing"


class SignatureRejected(InvalidInput):
    """An uploaded signed PDF failed a check; `code` says which one (400)."""

    code = "signature_invalid"

    def __init__(self, check: str, message):
        super().__init__(message, code=f"signature_{check}", fields={"file": [message]})
        self.check = check


# --- credentials -----------------------------------------------------------------------------


def signing_passphrase() -> bytes:
    path = settings.SIGNING_KEY_PASSPHRASE_FILE
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n").encode()
        except OSError as exc:
            raise CredentialError(
                _("The signing passphrase file cannot be read."), code="signing_passphrase_missing"
            ) from exc
    if settings.SIGNING_KEY_PASSPHRASE:
        return settings.SIGNING_KEY_PASSPHRASE.encode()
    raise CredentialError(
        _("No signing passphrase is configured (SIGNING_KEY_PASSPHRASE_FILE)."),
        code="signing_passphrase_missing",
    )


class KeptKeySigner(signers.SimpleSigner):
    """pyHanko reloads and re-validates the RSA key for every raw signature (~0.4 s each on
    this machine); this signer loads it once."""

    _private_key = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        if self._private_key is None:
            self._private_key = serialization.load_der_private_key(
                self.signing_key.dump(), password=None
            )
        return self._private_key.sign(
            data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
        )


@functools.lru_cache(maxsize=64)
def _opened_credential(path: str, modified: int, passphrase: bytes) -> KeptKeySigner:
    """The signer of a PKCS#12 file, kept per process until the file changes.

    Raises ValueError when the file cannot be decrypted with `passphrase`.
    """
    key, certificate, chain = pkcs12.load_key_and_certificates(Path(path).read_bytes(), passphrase)
    if key is None or certificate is None:
        raise ValueError("no key or certificate in the PKCS#12 file")
    signer = KeptKeySigner(
        signing_cert=as_asn1(certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([as_asn1(other) for other in chain]),
    )
    signer._private_key = key
    return signer


def credential_path(username: str) -> Path:
    return Path(settings.SIGNING_KEY_DIR) / f"{username}.p12"


def load_signer(user) -> signers.SimpleSigner:
    """The approver's signer from their PKCS#12 file; a clear error when it is missing or wrong."""
    path = credential_path(user.username)
    if not path.is_file():
        raise CredentialError(
            _("No signing credential was issued to %(user)s.") % {"user": user.username}
        )
    passphrase = signing_passphrase()
    try:
        signer = _opened_credential(str(path), path.stat().st_mtime_ns, passphrase)
    except (ValueError, OSError) as exc:
        raise CredentialError(
            _("The signing credential of %(user)s cannot be opened (wrong passphrase?).")
            % {"user": user.username},
            code="signing_credential_invalid",
        ) from exc
    if signer is None:
        raise CredentialError(
            _("The signing credential of %(user)s cannot be opened (wrong passphrase?).")
            % {"user": user.username},
            code="signing_credential_invalid",
        )
    return signer


def fingerprint(certificate: asn1_x509.Certificate) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def common_name(certificate: asn1_x509.Certificate) -> str:
    return certificate.subject.native.get("common_name", "") or certificate.subject.human_friendly


def load_trust_roots() -> list[asn1_x509.Certificate]:
    roots = []
    for name in settings.SIGNING_TRUST_ROOTS:
        path = Path(name)
        if not path.is_file():
            continue
        data = path.read_bytes()
        if asn1_pem.detect(data):
            roots += [asn1_x509.Certificate.load(der) for _, _, der in asn1_pem.unarmor(data, True)]
        else:
            roots.append(asn1_x509.Certificate.load(data))
    return roots


def as_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


# --- signing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StampText:
    signer_name: str
    unit: str
    time: str  # as printed, local time
    url: str  # the public verification page, in the stamp's QR code


# What the stamp can print: Latin letters with every Vietnamese accent, digits, punctuation.
STAMP_CODEPOINTS = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x180),
    *range(0x1A0, 0x1B1),
    *range(0x300, 0x324),
    *range(0x1E00, 0x1F00),
    *range(0x2010, 0x2027),
]


@functools.cache
def stamp_font_path() -> str:
    """The stamp's font, cut down once per process to the glyphs above.

    pyHanko parses the font on every signature; the whole DejaVu Sans (6,000 glyphs) costs
    about a second each time, the cut-down one a few milliseconds.
    """
    from fontTools import subset, ttLib

    font = ttLib.TTFont(str(settings.DOCUMENTS_STAMP_FONT))
    options = subset.Options()
    options.layout_features = []  # precomposed Vietnamese letters need no shaping tables
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "MATH"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=STAMP_CODEPOINTS)
    subsetter.subset(font)
    handle, path = tempfile.mkstemp(prefix="motcua-stamp-", suffix=".ttf")
    with os.fdopen(handle, "wb") as output:
        font.save(output)
    return path


def _stamp_style() -> QRStampStyle:
    font = GlyphAccumulatorFactory(stamp_font_path())
    return QRStampStyle(
        stamp_text="Ký số bởi: %(signer_name)s\nĐơn vị: %(unit)s\nThời gian: %(time)s\n"
        "Xác thực: %(url)s",
        text_box_style=TextBoxStyle(font=font, font_size=7),
        border_width=1,
        innsep=2,
        background=None,
    )


def sign_pdf(source, output, *, signer: signers.SimpleSigner, stamp: StampText):
    """Sign the PDF read from the binary stream `source` into the stream `output`.

    The visible stamp (signer, unit, time, QR code of the verification page) sits at the bottom
    of the last page. The file is streamed: pyHanko copies the original and appends the
    signature as an incremental update, so memory stays far below the file's size.
    """
    writer = IncrementalPdfFileWriter(source, strict=False)
    page = writer.find_page_for_modification(-1)[0].get_object()
    left, bottom, right, _top = (float(value) for value in page["/MediaBox"])
    box = (right - 300, bottom + 20, right - 20, bottom + 100)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        name=stamp.signer_name,
        location=settings.DOCUMENTS_PLACE_NAME,
        reason="Ký số kết quả giải quyết thủ tục hành chính",
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        stamp_style=_stamp_style(),
        new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD, box=box, on_page=-1),
    )
    pdf_signer.sign_pdf(
        writer,
        output=output,
        # room for the CMS (RSA-2048 signature, signer and CA certificates, ~4 KB): given, so
        # pyHanko does not make a trial signature to measure it
        bytes_reserved=SIGNATURE_BYTES_RESERVED,
        appearance_text_params={
            "signer_name": stamp.signer_name,
            "unit": stamp.unit,
            "time": stamp.time,
            "url": stamp.url,
        },
    )
    return output


def stamp_for_outside_signing(source, output, *, unit: str, url: str):
    """The result with the verification QR code stamped (not signed), for an approver who signs
    with a USB token or a remote service: the signed file then carries the QR code too."""
    from pyhanko.pdf_utils import layout
    from pyhanko.stamp import QRStamp

    writer = IncrementalPdfFileWriter(source, strict=False)
    page_index = int(writer.root["/Pages"]["/Count"]) - 1
    page = writer.find_page_for_modification(page_index)[0].get_object()
    left, bottom, right, _top = (float(value) for value in page["/MediaBox"])
    style = QRStampStyle(
        stamp_text="Đơn vị: %(unit)s\nXác thực: %(url)s",
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(stamp_font_path()), font_size=7),
        border_width=0,
        innsep=2,
        background=None,
    )
    stamp = QRStamp(
        writer,
        url,
        style,
        text_params={"unit": unit, "url": url},
        box=layout.BoxConstraints(width=280, height=80),
    )
    stamp.apply(page_index, int(right - 300), int(bottom + 110))
    writer.write(output)
    return output


# --- checking a signed PDF -------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedSignature:
    certificate: asn1_x509.Certificate
    signer_name: str
    signed_at: datetime | None


def check_signed_pdf(source, *, now: datetime, allowed_fingerprints: set[str]) -> CheckedSignature:
    """Check an uploaded signed PDF; raise SignatureRejected naming the first check that failed.

    The checks, in order: it carries a signature (`missing`); the signature is intact and covers
    the whole file (`not_intact`); the signer's certificate is valid now (`expired`); it chains
    to a configured trust root (`untrusted`); it is one of the approver's own (`wrong_signer`).
    """
    try:
        reader = PdfFileReader(source, strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception as exc:  # pyHanko raises many kinds on a damaged file
        raise SignatureRejected("unreadable", _("The file is not a readable PDF.")) from exc
    if not signatures:
        raise SignatureRejected("missing", _("The file carries no digital signature."))
    signature = signatures[-1]
    certificate = signature.signer_cert
    roots = load_trust_roots()
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = validate_pdf_signature(signature, context)
    except Exception as exc:
        raise SignatureRejected(
            "not_intact", _("The signature cannot be verified: the document was altered.")
        ) from exc
    if (
        not (status.intact and status.valid)
        or status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    ):
        raise SignatureRejected(
            "not_intact",
            _("The document was changed after it was signed, or the signature is broken."),
        )
    validity = certificate["tbs_certificate"]["validity"]
    if not validity["not_before"].native <= now <= validity["not_after"].native:
        raise SignatureRejected(
            "expired", _("The signer's certificate is expired or not yet valid.")
        )
    if not roots or not status.trusted:
        raise SignatureRejected(
            "untrusted", _("The signer's certificate does not chain to a trusted root.")
        )
    if fingerprint(certificate) not in allowed_fingerprints:
        raise SignatureRejected(
            "wrong_signer", _("The document was signed by someone other than this approver.")
        )
    return CheckedSignature(
        certificate=certificate,
        signer_name=common_name(certificate),
        signed_at=status.signer_reported_dt,
    )
