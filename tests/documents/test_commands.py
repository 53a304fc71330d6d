"""The provincial signing CA and approvers' certificates, made by management commands."""

import stat

import pytest
from django.core.management import CommandError, call_command

from documents.models import SigningCertificate
from documents.signing import credential_path, load_signer, load_trust_roots

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_dir(settings, tmp_path, world):
    SigningCertificate.objects.all().delete()  # not the session's test certificate of `world`
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "keys" / "ca.pem")]
    secret = tmp_path / "passphrase"
    secret.write_text("bí mật\n", encoding="utf-8")
    settings.SIGNING_KEY_PASSPHRASE, settings.SIGNING_KEY_PASSPHRASE_FILE = "", str(secret)
    return tmp_path / "keys"


def test_the_ca_and_an_approvers_credential_are_made_and_usable(world, key_dir):
    world.approver.first_name, world.approver.last_name = "Trần Thị", "Bích"
    world.approver.save()

    call_command("create_signing_ca", "--name", "CA ký số tỉnh Quảng Ninh")
    call_command("issue_signing_certificate", "approver", "--days", "365")

    assert [root.subject.native["common_name"] for root in load_trust_roots()] == [
        "CA ký số tỉnh Quảng Ninh"
    ]
    registered = SigningCertificate.objects.get(user=world.approver)
    assert registered.subject == "Trần Thị Bích"
    assert "CA ký số tỉnh Quảng Ninh" in registered.issuer
    assert "PRIVATE KEY" not in registered.pem
    path = credential_path("approver")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    signer = load_signer(world.approver)
    assert signer.signing_cert.subject.native["common_name"] == "Trần Thị Bích"


def test_a_second_ca_needs_force_and_an_unknown_user_is_refused(world, key_dir):
    call_command("create_signing_ca")

    with pytest.raises(CommandError):
        call_command("create_signing_ca")
    with pytest.raises(CommandError):
        call_command("issue_signing_certificate", "nobody")
