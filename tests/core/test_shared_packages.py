"""The shared packages (api/, core/) depend on no app: no import of one, no dotted path to one
(include("x.urls"), import_string). The apps depend on them, and the project (config/) gathers
the apps' routes."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def project_apps() -> set[str]:
    """The top-level packages of the installed apps that live in this repository."""
    return {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT)
        # a virtual environment inside the checkout (`make install` makes .venv there) holds
        # the third-party apps, Django's own included
        and "site-packages" not in Path(config.path).resolve().parts
    }


def _dotted(value) -> bool:
    return isinstance(value, str) and "." in value and value.replace(".", "_").isidentifier()


def references(path: Path) -> set[tuple[int, str]]:
    """(line, dotted name) of every import and every string naming a module in `path`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module))
        elif isinstance(node, ast.Constant) and _dotted(node.value):
            found.add((node.lineno, node.value))
    return found


def test_the_project_apps_are_known():
    assert {"procedures", "accounts", "digitization", "inspections", "documents"} <= (
        project_apps()
    )


@pytest.mark.parametrize("package", ["api", "core"])
def test_the_shared_package_depends_on_no_app(package):
    # the apps, the development data, and the project (which gathers the apps)
    forbidden = (project_apps() | {"devtools", "config"}) - {package}
    offending = sorted(
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for line, name in references(path)
        if name.split(".")[0] in forbidden
    )
    assert offending == []


def test_the_check_finds_an_app_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "def f():\n"
        "    from procedures.caching import SharedVersionedValue\n"
        "URLS = 'digitization.api.urls'\n",
        encoding="utf-8",
    )
    names = {name for _line, name in references(sample)}
    assert {"procedures.caching", "digitization.api.urls"} <= names
