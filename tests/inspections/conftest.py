"""Fixtures for the inspection tests: a team of inspectors, a planned inspection, dossiers in the
period under review, built through the services with explicit times."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from inspections import services
from tests.factories import UnitFactory, UserFactory

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# The period under review: the first quarter of 2025.
PERIOD = (date(2025, 1, 1), date(2025, 3, 31))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def check_everything(inspection, inspector):
    """Confirm every checklist item of the sample as prefilled."""
    for sampled in inspection.sample.prefetch_related("checklist"):
        services.check_items(
            sampled=sampled,
            actor=inspector,
            answers=[{"item": i.item, "value": i.prefilled} for i in sampled.checklist.all()],
        )


@pytest.fixture
def second_inspector(world):
    return UserFactory(username="inspector-2", role="inspector", unit=world.unit)


@pytest.fixture
def plan(world):
    """Plan an inspection of world.unit led by world.inspector; keyword arguments override."""

    def make(**overrides):
        data = {
            "actor": world.inspector,
            "unit": world.unit,
            "kind": "regular",
            "lead": world.inspector,
            "period_start": PERIOD[0],
            "period_end": PERIOD[1],
            "planned_start": date(2025, 4, 1),
            "planned_end": date(2025, 4, 30),
            "scope": "Thủ tục hộ tịch",
        }
        data.update(overrides)
        return services.create_inspection(**data)

    return make


@pytest.fixture
def started(world, plan):
    inspection = plan()
    return services.start_inspection(
        inspection=inspection, actor=world.inspector, at=local(2025, 4, 1, 8, 0)
    )


@pytest.fixture
def province(world):
    """A province-level unit above world.unit, with its own inspector and leader."""
    top = UnitFactory(code="000.00.00.H40", name="UBND tỉnh", block="department")
    world.unit.parent = top
    world.unit.save()
    return {
        "unit": top,
        "inspector": UserFactory(username="province-inspector", role="inspector", unit=top),
        "leader": UserFactory(username="province-leader", role="leader", unit=top),
    }
