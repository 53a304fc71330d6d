"""Readers of the documents app."""

from documents.models import SignedResult


def signed_result_of(code: str) -> SignedResult | None:
    return (
        SignedResult.objects.select_related("certificate", "dossier")
        .filter(dossier__code=code)
        .first()
    )


def verification(result: SignedResult, sha256: str | None = None) -> dict:
    """What anyone may know of an issued signed result: no personal data of the applicant."""
    return {
        "code": result.dossier.code,
        "signed": True,
        "signer_name": result.signer_name,
        "signer_unit": result.signer_unit,
        "signed_at": result.signed_at.isoformat(),
        "method": result.method,
        "sha256": result.sha256,
        "certificate": {
            "issuer": result.certificate.issuer,
            "serial_number": result.certificate.serial_number,
            "valid_until": result.certificate.not_after.isoformat(),
        },
        "matches": None if sha256 is None else sha256 == result.sha256,
    }
