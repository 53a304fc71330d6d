"""One archive holding the database and the uploaded files together, and restoring it.

`python manage.py backup` writes `motcua-<UTC time>.tar` with:
- `database.dump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3` (SQLite backup API);
- `media/…`, every file under MEDIA_ROOT;
- `manifest.json`: when, which database engine, and each file's size and SHA-256.

The database is dumped first (one consistent snapshot), then the files are copied. Stored files
are never changed or deleted once written (digitized scans are named by their SHA-256), so every
file row in the dump has its file in the archive; a file uploaded meanwhile is copied too and
simply has no row after a restore.

`python manage.py restore ARCHIVE` replaces the database with the dump, puts the files back in
MEDIA_ROOT, and then checks that every file row has its file and, where the row keeps one, that
the file's SHA-256 matches (`verify_files`).
"""

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections, models

DUMP_NAMES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env_and_args() -> tuple[dict, list[str]]:
    s = connection.settings_dict
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    args = ["--dbname", s["NAME"]]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    return env, args


ATTACHED = re.compile(r"^ALTER (?:TABLE ONLY|INDEX) \S+ ATTACH PARTITION (\S+)")
DROPPED_KEY = re.compile(r"^ALTER TABLE IF EXISTS ONLY (\S+) DROP CONSTRAINT IF EXISTS (\S+);$")
DROPPED_INDEX = re.compile(r"^DROP INDEX IF EXISTS (\S+);$")


def _keep_partition_keys(script: Path) -> None:
    """Take out of a restore script (pg_restore --clean) the drops of a partition's key and
    indexes, which PostgreSQL refuses (they belong to the partitioned table's; the transition
    log is one, procedures.partitions): dropping the tables drops them."""
    schema = {}
    with script.open(encoding="utf-8") as lines:
        for line in lines:
            if match := ATTACHED.match(line):
                name = match[1]
                schema[name.split(".")[-1]] = name
    attached = set(schema.values())
    kept = script.with_name("restore-kept.sql")
    with script.open(encoding="utf-8") as lines, kept.open("w", encoding="utf-8") as out:
        for line in lines:
            key = DROPPED_KEY.match(line.rstrip("\n"))
            if key and (key[1] in attached or key[2] in schema):
                continue
            index = DROPPED_INDEX.match(line.rstrip("\n"))
            if index and index[1] in attached:
                continue
            out.write(line)
    kept.replace(script)


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _dump_database(target: Path) -> None:
    if connection.vendor == "postgresql":
        env, args = _pg_env_and_args()
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    else:
        raise BackupError(f"no backup for the {connection.vendor} database")


def _restore_database(source: Path) -> None:
    if connection.vendor == "postgresql":
        connections.close_all()
        env, args = _pg_env_and_args()
        script = source.with_name("restore.sql")
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--file",
                str(script),
                str(source),
            ],
            env,
        )
        _keep_partition_keys(script)
        _run(
            [
                "psql",
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set",
                "ON_ERROR_STOP=1",
                "--file",
                str(script),
                *args,
            ],
            env,
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        dump = sqlite3.connect(source)
        try:
            dump.backup(connection.connection)
        finally:
            dump.close()
    else:
        raise BackupError(f"no restore for the {connection.vendor} database")


def media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def backup(directory: Path, *, now: datetime | None = None) -> Path:
    """Write an archive of the database and MEDIA_ROOT into `directory`; return its path."""
    now = now or datetime.now(UTC)
    directory.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    target = directory / f"motcua-{now:%Y%m%dT%H%M%SZ}.tar"
    partial = target.with_suffix(".tar.partial")
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DUMP_NAMES.get(connection.vendor, "database")
        _dump_database(dump)
        files = media_files(media_root)
        manifest = {
            "created_at": now.isoformat(),
            "database": connection.vendor,
            "dump": dump.name,
            "files": [
                {
                    "path": path.relative_to(media_root).as_posix(),
                    "size": path.stat().st_size,
                    "sha256": sha256_of(path),
                }
                for path in files
            ],
        }
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, arcname=dump.name)
            for path in files:
                archive.add(path, arcname=f"media/{path.relative_to(media_root).as_posix()}")
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(now.timestamp())
            archive.addfile(info, io.BytesIO(data))
    partial.rename(target)
    return target


def read_manifest(archive_path: Path) -> dict:
    with tarfile.open(archive_path) as archive:
        member = archive.extractfile("manifest.json")
        if member is None:
            raise BackupError(f"{archive_path} has no manifest.json")
        return json.load(member)


def restore(archive_path: Path) -> "Verification":
    """Replace the database and put the files back from `archive_path`; verify the result."""
    manifest = read_manifest(archive_path)
    if manifest["database"] != connection.vendor:
        raise BackupError(
            f"the archive holds a {manifest['database']} database, this is {connection.vendor}"
        )
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive_path) as archive:
        archive.extractall(work, filter="data")
        extracted_media = Path(work) / "media"
        for entry in manifest["files"]:
            source = extracted_media / entry["path"]
            if not source.is_file():
                raise BackupError(f"{entry['path']} is listed but missing from the archive")
            if sha256_of(source) != entry["sha256"]:
                raise BackupError(f"{entry['path']} in the archive does not match its manifest")
        _restore_database(Path(work) / manifest["dump"])
        for entry in manifest["files"]:
            destination = media_root / entry["path"]
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(extracted_media / entry["path"], destination)
    return verify_files()


@dataclass
class Verification:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.mismatched


def verify_files() -> Verification:
    """Every file row of every model: its file exists, and matches the row's `sha256` if any."""
    result = Verification()
    for model in apps.get_models():
        file_fields = [f for f in model._meta.fields if isinstance(f, models.FileField)]
        if not file_fields:
            continue
        has_sha = any(f.name == "sha256" for f in model._meta.fields)
        for row in model._default_manager.all().iterator():
            for file_field in file_fields:
                name = getattr(row, file_field.name).name
                if not name:
                    continue
                label = f"{model._meta.label} {row.pk} {file_field.name}: {name}"
                result.checked += 1
                storage = file_field.storage
                if not storage.exists(name):
                    result.missing.append(label)
                elif has_sha and _stored_sha256(storage, name) != row.sha256:
                    result.mismatched.append(label)
    return result


def _stored_sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
