"""The admin's action boxes laid out in real headless Chromium, at phone and desktop widths.

They used to be squeezed to 0 px wide beside the floated change form at every window width.
"""

from datetime import date

import pytest
from django.urls import reverse

from inspections.services import create_inspection
from procedures.models import DossierState
from tests.browser import DESKTOP, PHONE
from tests.dossiers import digitize_all, dossier_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDE = (1920, 1080)

MEASURE = """
const box = document.getElementById(arguments[0]);
const button = box.querySelector("button");
return {
  width: box.getBoundingClientRect().width,
  button: button ? button.getBoundingClientRect().width : 0,
  form: document.getElementById("content-main").getBoundingClientRect().width,
  viewport: window.innerWidth,
};
"""


def measure(browser, box_id: str) -> dict:
    """The box's size; the box is then scrolled into view for the screenshot."""
    measured = browser.driver.execute_script(MEASURE, box_id)
    browser.driver.execute_script("document.getElementById(arguments[0]).scrollIntoView();", box_id)
    return measured


def assert_spans_the_page(measured: dict) -> None:
    """As wide as the change form above it (the page less the admin's sidebar, if open)."""
    assert measured["form"] >= 0.5 * measured["viewport"], measured
    assert measured["width"] >= measured["form"] - 1, measured
    assert measured["width"] <= measured["viewport"], measured
    assert measured["button"] > 40, measured


@pytest.mark.parametrize("size", [PHONE, DESKTOP, WIDE], ids=lambda size: str(size[0]))
def test_the_dossier_action_box_spans_the_page(browser, client, world, size):
    dossier = dossier_in(world, DossierState.INTAKE)
    digitize_all(world, dossier)
    browser.size(*size).login_as(client, world.clerk)
    browser.open(reverse("admin:procedures_dossier_change", args=[dossier.pk]))
    measured = measure(browser, "dossier-transitions")
    assert measured["viewport"] <= size[0]
    assert_spans_the_page(measured)
    browser.shot(f"admin-dossier-actions-{size[0]}")


@pytest.mark.parametrize("size", [PHONE, WIDE], ids=lambda size: str(size[0]))
def test_the_inspection_action_box_spans_the_page(browser, client, world, size):
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
    browser.size(*size).login_as(client, world.inspector)
    browser.open(reverse("admin:inspections_inspection_change", args=[inspection.pk]))
    assert_spans_the_page(measure(browser, "inspection-actions"))
    browser.shot(f"admin-inspection-actions-{size[0]}")
