"""Helpers for the metrics tests: dossiers with exactly the columns a test states."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from digitization.models import DigitizedFile, SatisfactionRating, UnitDayMetrics
from procedures.models import DigitizationStatus, Dossier, DossierComponent
from tests.dossiers import new_dossier

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
METRIC_FIELDS = (
    "received",
    "received_online",
    "digitized",
    "reused",
    "finished",
    "finished_on_time",
    "finished_needing_result",
    "finished_with_result",
    "overdue_started",
    "overdue_ended",
    "rated",
    "not_satisfied",
)
# Decision 766's families, on the day of acceptance and the day processing ended.
NATIONAL_FIELDS = (
    "accepted",
    "accepted_ended_on_time",
    "accepted_online",
    "accepted_direct",
    "accepted_postal",
    "paper_result",
    "paper_result_issued",
    "e_result",
    "digitized_any",
    "digitized_all",
    "accepted_reused",
    "disliked",
    "disliked_late",
    "ended",
    "ended_on_time",
)


@pytest.fixture(autouse=True)
def _empty_cache():
    """The public endpoints' throttles count in the cache."""
    cache.clear()
    yield
    cache.clear()


def local(year, month, day, hour=9, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def result_file() -> DigitizedFile:
    return DigitizedFile.objects.create(
        file="digitized/result.pdf", sha256="1" * 64, size=1, content_type="application/pdf"
    )


def make_dossier(
    world,
    *,
    received,
    channel="direct",
    state="intake",
    due=None,
    completed=None,
    paused=None,
    supplements=0,
    components=("scanned", "scanned", "pending"),
    result=False,
    unit=None,
    procedure=None,
    touched=None,
) -> Dossier:
    """A dossier received at `received` with the given columns set as stated.

    `components` gives the status of the procedure's papers in order (by default two required
    ones and an optional one). `touched` is its updated_at (now by default).
    """
    dossier = new_dossier(
        world, channel=channel, at=received, unit=unit, procedure=procedure, actor=world.admin
    )
    for component, status in zip(
        dossier.components.order_by("position", "id"), components, strict=True
    ):
        DossierComponent.objects.filter(pk=component.pk).update(
            status=status, reused_from="KHO-1" if status == DigitizationStatus.REUSED else ""
        )
    Dossier.objects.filter(pk=dossier.pk).update(
        state=state,
        due_at=due,
        accepted_at=received if due else None,
        completed_at=completed,
        paused_at=paused,
        supplement_count=supplements,
        result_file=result_file() if result else None,
        updated_at=touched or timezone.now(),
    )
    return Dossier.objects.get(pk=dossier.pk)


def rate(dossier, rating, *, at, complaint=False) -> SatisfactionRating:
    rated = SatisfactionRating.objects.create(
        dossier=dossier, rating=rating, complaint=complaint, rated_at=at
    )
    Dossier.objects.filter(pk=dossier.pk).update(updated_at=timezone.now())
    return rated


def metrics_table(fields=METRIC_FIELDS) -> dict:
    """{(unit code, day): {metric: count}} of every row with one of `fields` counted (the table
    also holds rows counting only the other family)."""
    table = {
        (row.unit.code, row.day): {name: getattr(row, name) for name in fields}
        for row in UnitDayMetrics.objects.select_related("unit")
    }
    return {key: counts for key, counts in table.items() if any(counts.values())}


def whole_table() -> dict:
    return metrics_table(METRIC_FIELDS + NATIONAL_FIELDS)


def row_ids() -> dict:
    return {(r.unit_id, r.day): r.pk for r in UnitDayMetrics.objects.all()}


def only(**counts) -> dict:
    """A metrics row with the given counts and zero elsewhere."""
    return {name: counts.get(name, 0) for name in METRIC_FIELDS}


def national(**counts) -> dict:
    """A row of Decision 766's families with the given counts and zero elsewhere."""
    return {name: counts.get(name, 0) for name in NATIONAL_FIELDS}


@pytest.fixture
def march(world):
    """Hand-built dossiers of March 2026 (Mon 2 March = D1); see the expected table below."""
    d = {}
    d["a"] = make_dossier(
        world, received=local(2026, 3, 2, 9), channel="online", state="completed",
        due=local(2026, 3, 13, 17), completed=local(2026, 3, 5, 10),
        components=("reused", "scanned", "pending"), result=True,
    )  # fmt: skip
    d["b"] = make_dossier(
        world, received=local(2026, 3, 2, 10), state="completed",
        due=local(2026, 3, 16, 17), completed=local(2026, 3, 17, 10),
        components=("scanned", "scanned", "scanned"), result=True,
    )  # fmt: skip
    d["c"] = make_dossier(
        world, received=local(2026, 3, 2, 11), channel="online", state="refused",
        completed=local(2026, 3, 2, 11, 30), components=("pending", "pending", "pending"),
    )  # fmt: skip
    d["d"] = make_dossier(
        world, received=local(2026, 3, 2, 23, 30), state="intake",
        due=local(2026, 3, 17, 17), components=("scanned", "pending", "pending"),
    )  # fmt: skip
    d["e"] = make_dossier(
        world, received=local(2026, 3, 3, 0, 30), state="completed",
        due=local(2026, 3, 10, 17), completed=local(2026, 3, 10, 18),
        components=("reused", "reused", "pending"), result=False,
    )  # fmt: skip
    d["f"] = make_dossier(
        world, received=local(2026, 3, 3, 9), state="completed",
        due=local(2026, 3, 20, 17), completed=local(2026, 3, 12, 9), supplements=2,
        components=("scanned", "scanned", "scanned"), result=True,
    )  # fmt: skip
    d["g"] = make_dossier(
        world, received=local(2026, 3, 3, 10), state="rejected",
        due=local(2026, 3, 20, 17), completed=local(2026, 3, 6, 9),
    )  # fmt: skip
    d["h"] = make_dossier(
        world, received=local(2026, 3, 3, 11), state="withdrawn",
        due=local(2026, 3, 17, 17), completed=local(2026, 3, 4, 9),
        components=("pending", "pending", "pending"),
    )  # fmt: skip
    d["i"] = make_dossier(
        world, received=local(2026, 3, 3, 12), state="supplement",
        due=local(2026, 3, 5, 17), paused=local(2026, 3, 9, 10), supplements=1,
    )  # fmt: skip
    d["j"] = make_dossier(
        world, received=local(2026, 3, 2, 9), channel="online", state="submitted",
        unit=world.other_unit, components=("pending", "pending", "pending"),
    )  # fmt: skip
    rate(d["a"], "not_satisfied", at=local(2026, 3, 6, 10))
    rate(d["b"], "neutral", at=local(2026, 3, 18, 10))
    rate(d["f"], "satisfied", at=local(2026, 3, 13, 10))
    return d
