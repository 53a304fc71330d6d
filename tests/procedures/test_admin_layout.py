"""The admin's action boxes laid out in a real browser (headless Chromium), narrow and wide.

The page is rendered by the test client, its static files pointed at the files on disk, and opened
by Chromium, which reports the boxes' measured sizes.
"""

import html
import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from inspections.services import create_inspection
from procedures.models import DossierState
from tests.dossiers import digitize_all, dossier_in

pytestmark = pytest.mark.django_db
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

MEASURE = """<script>
window.addEventListener("load", () => {
  const boxes = {};
  for (const id of %s) {
    const box = document.getElementById(id);
    if (box) {
      const rect = box.getBoundingClientRect();
      const button = box.querySelector("button");
      boxes[id] = {width: rect.width, button: button ? button.getBoundingClientRect().width : 0};
    }
  }
  boxes.viewport = window.innerWidth;
  boxes.scroll = document.documentElement.scrollWidth;
  document.body.setAttribute("data-measured", JSON.stringify(boxes));
});
</script>"""


def local_static(match):
    found = finders.find(match.group(2).split("?")[0])
    return f'{match.group(1)}="{Path(found).as_uri()}"' if found else ""


def measure(page: str, ids: list[str], width: int, tmp_path) -> dict:
    assert CHROMIUM, "Chromium is needed: apt-get install -y chromium"
    page = re.sub(r"<script[^>]*src=[^>]*></script>", "", page)
    page = re.sub(r'(href|src)="/static/([^"]+)"', local_static, page)
    page = page.replace("</body>", MEASURE % json.dumps(ids) + "</body>")
    path = tmp_path / f"page-{width}.html"
    path.write_text(page, encoding="utf-8")
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={width},900",
            "--virtual-time-budget=3000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'data-measured="([^"]*)"', result.stdout)
    assert found, result.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [500, 1024, 1920])
def test_the_dossier_action_box_spans_the_page(client, world, tmp_path, width):
    dossier = dossier_in(world, DossierState.INTAKE)
    digitize_all(world, dossier)
    client.force_login(world.clerk)
    response = client.get(reverse("admin:procedures_dossier_change", args=[dossier.pk]))
    assert response.status_code == 200
    measured = measure(response.content.decode(), ["dossier-transitions"], width, tmp_path)
    box = measured["dossier-transitions"]
    assert box["width"] >= 0.8 * min(measured["viewport"], 1920) - 100, measured
    assert box["button"] > 40, measured


@pytest.mark.parametrize("width", [500, 1920])
def test_the_inspection_action_box_spans_the_page(client, world, tmp_path, width):
    inspection = create_inspection(
        actor=world.inspector,
        unit=world.unit,
        kind="regular",
        lead=world.inspector,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        planned_start=date(2026, 7, 1),
        planned_end=date(2026, 7, 31),
    )
    client.force_login(world.inspector)
    response = client.get(reverse("admin:inspections_inspection_change", args=[inspection.pk]))
    measured = measure(response.content.decode(), ["inspection-actions"], width, tmp_path)
    box = measured["inspection-actions"]
    assert box["width"] >= 0.8 * measured["viewport"] - 100, measured
    assert box["button"] > 40, measured
