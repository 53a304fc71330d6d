"""No English left on a Vietnamese page: every string of the project's own code is translated.

The first test reads the committed catalogue; the second runs `makemessages` over a temporary
copy of the project (never over the committed file) and checks that every string it finds has a
Vietnamese translation there. Django's and third-party packages' own strings are theirs.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

PO_FILE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"
# Not shown to users (tests, benchmarks) or not source (the environment, uploads, catalogues).
NOT_SOURCE = {
    ".venv",
    ".git",
    "tests",
    "bench",
    "locale",
    "media",
    "staticfiles",
    "artifacts",
    "node_modules",
}


def key(entry: polib.POEntry) -> tuple[str, str]:
    return entry.msgctxt or "", entry.msgid


def is_translated(entry: polib.POEntry) -> bool:
    if "fuzzy" in entry.flags or entry.obsolete:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(v.strip() for v in entry.msgstr_plural.values())
    return bool(entry.msgstr.strip())


def committed_catalogue() -> dict[tuple[str, str], polib.POEntry]:
    return {key(entry): entry for entry in polib.pofile(str(PO_FILE)) if not entry.obsolete}


def describe(keys) -> str:
    return "\n".join(f"  {context + ' | ' if context else ''}{msgid!r}" for context, msgid in keys)


def test_every_entry_of_the_vietnamese_catalogue_is_translated_and_not_fuzzy():
    catalogue = polib.pofile(str(PO_FILE))
    assert len(catalogue) > 100
    untranslated = sorted(key(entry) for entry in catalogue if not is_translated(entry))
    assert not untranslated, "Vietnamese translation missing or fuzzy for:\n" + describe(
        untranslated
    )


def test_the_compiled_catalogue_is_not_older_than_the_source():
    compiled = PO_FILE.with_suffix(".mo")
    assert compiled.exists()
    translated = {key(e): e.msgstr for e in polib.pofile(str(PO_FILE)) if is_translated(e)}
    in_mo = {key(e): e.msgstr for e in polib.mofile(str(compiled)) if e.msgid}
    missing = sorted(k for k, text in translated.items() if text and in_mo.get(k) != text)
    assert not missing, "run `manage.py compilemessages`; not in the .mo:\n" + describe(missing)


def project_copy(destination: Path) -> Path:
    """The project's sources without the environment, tests and catalogues."""
    base = Path(settings.BASE_DIR)
    for item in base.iterdir():
        if item.name in NOT_SOURCE or item.name.startswith("."):
            continue
        target = destination / item.name
        if item.is_dir():
            shutil.copytree(
                item, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.sqlite3*")
            )
        elif item.suffix in {".py", ".html", ".txt"}:
            shutil.copy2(item, target)
    (destination / "locale").mkdir()
    return destination


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[tuple[str, str], polib.POEntry]:
    """Every translatable string `makemessages` finds in the project's code and templates."""
    copy = project_copy(tmp_path_factory.mktemp("makemessages"))
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(copy),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "vi", "--no-location"],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    found = copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    return {key(entry): entry for entry in polib.pofile(str(found)) if entry.msgid}


def test_makemessages_finds_the_projects_strings(extracted):
    assert ("", "Actions allowed now") in extracted
    assert ("", "Step 1: intake and digitization") in extracted
    assert len(extracted) > 100


def test_every_string_makemessages_finds_is_translated_in_the_committed_catalogue(extracted):
    catalogue = committed_catalogue()
    missing = sorted(k for k in extracted if k not in catalogue or not is_translated(catalogue[k]))
    assert not missing, (
        f"{len(missing)} project strings have no Vietnamese translation in {PO_FILE.name}; add "
        "them at the end of the file and run `manage.py compilemessages`:\n" + describe(missing)
    )


def test_every_message_of_django_rest_framework_reaches_a_vietnamese_user_in_vietnamese():
    """The API's errors are DRF's messages as often as ours ("Object with code=… does not exist.",
    "This field may not be null."); its own Vietnamese catalogue covers 20 of 125, the rest comes
    from Django's or from locale/packages (kept by hand, since makemessages would drop them)."""
    import rest_framework
    from django.utils import translation

    source = Path(rest_framework.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.mo"
    messages = [entry for entry in polib.mofile(str(source)) if entry.msgid]
    assert len(messages) > 100
    english = []
    with translation.override("vi"):
        for entry in messages:
            if entry.msgid_plural:
                shown = translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                english += [entry.msgid_plural] if shown == entry.msgid_plural else []
            elif translation.gettext(entry.msgid) == entry.msgid:
                english.append(entry.msgid)
    assert not english, "no Vietnamese for DRF's:\n" + "\n".join(f"  {m!r}" for m in english)


def test_the_packages_catalogue_is_complete_and_compiled():
    catalogue = PO_FILE.parent.parent.parent / "packages" / "vi" / "LC_MESSAGES" / "django.po"
    entries = polib.pofile(str(catalogue))
    assert len(entries) > 50
    assert all(is_translated(entry) for entry in entries)
    compiled = {e.msgid: e for e in polib.mofile(str(catalogue.with_suffix(".mo")))}
    stale = [e.msgid for e in entries if e.msgid not in compiled]
    assert not stale, "run `manage.py compilemessages`; not in the .mo: " + ", ".join(stale)
