"""A backup holds the database and the uploaded files together; a restore brings both back."""

import hashlib
import tarfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from backups.archive import read_manifest, verify_files
from digitization.models import DigitizedFile
from digitization.services import digitize_component
from procedures.models import Dossier
from tests.dossiers import new_dossier
from tests.factories import pdf_upload

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only


def scanned_dossier(world, tag):
    dossier = new_dossier(world, channel="direct")
    for n, component in enumerate(dossier.components.all()):
        digitize_component(component=component, actor=world.clerk, upload=pdf_upload(f"{tag}{n}"))
    return dossier


def file_rows():
    return sorted(DigitizedFile.objects.values_list("file", "sha256"))


def test_a_restore_brings_back_the_rows_and_every_file_with_its_sha256(world, tmp_path, capsys):
    for tag in ("a", "b", "c"):
        scanned_dossier(world, tag)
    rows = file_rows()
    assert len(rows) >= 3
    dossiers = sorted(Dossier.objects.values_list("code", flat=True))

    call_command("backup", "--output-dir", str(tmp_path / "archives"))
    archive = Path(capsys.readouterr().out.strip())

    # What the archive holds: the dump and every file, listed with its SHA-256.
    manifest = read_manifest(archive)
    assert {entry["sha256"] for entry in manifest["files"]} == {sha for _, sha in rows}
    with tarfile.open(archive) as tar:
        assert manifest["dump"] in tar.getnames()

    # Disaster: a dossier registered after the backup, the uploaded files lost or damaged.
    scanned_dossier(world, "after")
    lost, damaged = rows[0][0], rows[1][0]
    default_storage.delete(lost)
    Path(default_storage.path(damaged)).write_bytes(b"not the scan any more")
    before = verify_files()
    assert (len(before.missing), len(before.mismatched)) == (1, 1)

    call_command("restore", str(archive), "--no-input")

    assert sorted(Dossier.objects.values_list("code", flat=True)) == dossiers
    assert file_rows() == rows
    for name, sha256 in file_rows():
        assert default_storage.exists(name), name
        with default_storage.open(name, "rb") as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == sha256, name
    verification = verify_files()
    assert verification.ok and verification.checked == len(rows)


def test_a_restore_reports_file_rows_whose_file_was_already_lost(world, tmp_path, capsys):
    scanned_dossier(world, "a")
    (lost, _sha), *_ = file_rows()
    default_storage.delete(lost)  # lost before the backup: nothing can bring it back
    call_command("backup", "--output-dir", str(tmp_path / "archives"))
    archive = Path(capsys.readouterr().out.strip())

    with pytest.raises(CommandError, match="no matching file"):
        call_command("restore", str(archive), "--no-input")
    assert "missing: digitization.DigitizedFile" in capsys.readouterr().err


def test_an_archive_missing_a_listed_file_is_refused_before_anything_is_replaced(
    world, tmp_path, capsys
):
    scanned_dossier(world, "a")
    call_command("backup", "--output-dir", str(tmp_path / "archives"))
    archive = Path(capsys.readouterr().out.strip())
    stripped = tmp_path / "stripped.tar"
    with tarfile.open(archive) as source, tarfile.open(stripped, "w") as target:
        for member in source.getmembers():
            if not member.name.startswith("media/"):
                target.addfile(member, source.extractfile(member))
    scanned_dossier(world, "after")
    count = Dossier.objects.count()

    with pytest.raises(CommandError, match="missing from the archive"):
        call_command("restore", str(stripped), "--no-input")
    assert Dossier.objects.count() == count  # the database was not touched


def test_backup_keeps_only_the_newest_archives(world, tmp_path):
    directory = tmp_path / "archives"
    directory.mkdir()
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (directory / f"motcua-{stamp}.tar").write_bytes(b"")

    call_command("backup", "--output-dir", str(directory), "--keep", "2")

    names = sorted(path.name for path in directory.glob("motcua-*.tar"))
    assert len(names) == 2 and names[0] == "motcua-20260103T000000Z.tar"
