"""A provincial signing CA for deployments without a national CA, and approvers' certificates.

The CA's certificate is `<SIGNING_KEY_DIR>/ca.pem` (the default trust root) and its key
`ca.p12`; each approver gets `<username>.p12`. Every PKCS#12 file is encrypted with the signing
passphrase; the database keeps only the certificates (SigningCertificate).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    pkcs12,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils import timezone

from documents.models import SigningCertificate
from documents.signing import (
    as_asn1,
    common_name,
    credential_path,
    fingerprint,
    signing_passphrase,
)

CA_CERT = "ca.pem"
CA_KEY = "ca.p12"


@dataclass(frozen=True)
class Credential:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common: str, organization: str = "", uid: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common))
    if uid:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, uid))
    return x509.Name(attributes)


def create_ca(name: str, *, days: int = 3650, now: datetime | None = None) -> Credential:
    now = now or timezone.now()
    key = _key()
    subject = _name(name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Credential(certificate, key)


def issue_certificate(
    ca: Credential,
    *,
    full_name: str,
    unit_name: str,
    username: str,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Credential:
    """A signing certificate: CN the person's name, O the unit, UID the username."""
    not_before = not_before or timezone.now() - timedelta(minutes=5)
    not_after = not_after or not_before + timedelta(days=730)
    key = _key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(full_name, unit_name, username))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return Credential(certificate, key)


def pkcs12_bytes(credential: Credential, *, name: str, chain=(), passphrase: bytes) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        name.encode(),
        credential.key,
        credential.certificate,
        list(chain),
        BestAvailableEncryption(passphrase),
    )


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def save_ca(credential: Credential) -> Path:
    directory = Path(settings.SIGNING_KEY_DIR)
    _write_private(
        directory / CA_KEY,
        pkcs12_bytes(credential, name="ca", passphrase=signing_passphrase()),
    )
    (directory / CA_CERT).write_bytes(credential.certificate.public_bytes(Encoding.PEM))
    return directory / CA_CERT


def load_ca() -> Credential:
    directory = Path(settings.SIGNING_KEY_DIR)
    key, certificate, _ = pkcs12.load_key_and_certificates(
        (directory / CA_KEY).read_bytes(), signing_passphrase()
    )
    return Credential(certificate, key)


def register_certificate(user, certificate: x509.Certificate) -> SigningCertificate:
    """Record (the public part of) a certificate `user` signs with."""
    asn1 = as_asn1(certificate)
    registered, _ = SigningCertificate.objects.update_or_create(
        fingerprint=fingerprint(asn1),
        defaults={
            "user": user,
            "subject": common_name(asn1)[:500],
            "issuer": asn1.issuer.human_friendly[:500],
            "serial_number": format(certificate.serial_number, "x")[:64],
            "not_before": certificate.not_valid_before_utc,
            "not_after": certificate.not_valid_after_utc,
            "pem": certificate.public_bytes(Encoding.PEM).decode(),
        },
    )
    return registered


def issue_credential(user, ca: Credential, **validity) -> SigningCertificate:
    """Issue `user` a certificate, save their PKCS#12 file and register the certificate."""
    credential = issue_certificate(
        ca,
        full_name=user.get_full_name() or user.username,
        unit_name=user.unit.name if user.unit_id else "",
        username=user.username,
        **validity,
    )
    _write_private(
        credential_path(user.username),
        pkcs12_bytes(
            credential,
            name=user.username,
            chain=[ca.certificate],
            passphrase=signing_passphrase(),
        ),
    )
    return register_certificate(user, credential.certificate)
