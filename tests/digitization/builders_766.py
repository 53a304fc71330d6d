"""Dossiers of the Decision 766 worked examples (docs: indicators-766.md), played through the
services at the stated local times of 2025, with the clock frozen at each step."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import time_machine

from digitization.indicators import points, rounded
from digitization.metrics import recompute_metrics
from digitization.ratings import rate_dossier
from digitization.selectors import unit_indicators
from digitization.services import digitize_component
from procedures.models import Dossier, DossierComponent
from tests.dossiers import act, new_dossier
from tests.factories import ProcedureFactory, pdf_upload

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = (date(2025, 3, 1), date(2025, 3, 31))
AFTER_MARCH = datetime(2025, 4, 5, 9, tzinfo=TZ)


def at(day: int, month: int = 3, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TZ)


def procedure(world, *, days: int = 10, issues_result: bool = True, components=None):
    """A procedure of world.unit taking `days` working days."""
    return ProcedureFactory(
        units=[world.unit], processing_days=days, issues_result=issues_result,
        components=components,
    )  # fmt: skip


def step(world, dossier, action, moment, **arguments) -> Dossier:
    with time_machine.travel(moment, tick=False):
        if action == "scan":
            return scan(world, dossier, moment, **arguments)
        if action == "reuse":
            component = dossier.components.order_by("position", "id")[0]
            digitize_component(
                component=component, actor=world.clerk, reused_from="KHO-9", at=moment
            )
            return Dossier.objects.get(pk=dossier.pk)
        return act(world, dossier, action, at=moment)


def scan(world, dossier, moment, *, only_first: bool = False) -> Dossier:
    components = list(dossier.components.filter(required=True).order_by("position", "id"))
    for component in components[:1] if only_first else components:
        upload = pdf_upload(f"{dossier.code}-{component.pk}")
        digitize_component(component=component, actor=world.clerk, upload=upload, at=moment)
    return Dossier.objects.get(pk=dossier.pk)


def accepted(world, moment, *, proc, channel: str = "direct") -> Dossier:
    """A dossier registered at `moment`; an online one is accepted at the same moment."""
    with time_machine.travel(moment, tick=False):
        dossier = new_dossier(world, channel=channel, at=moment, procedure=proc)
    if channel == "online":
        dossier = step(world, dossier, "accept", moment)
    return dossier


def issue_result(world, dossier, done, *, delivered=None, scanned=True) -> Dossier:
    """Digitize, appraise, approve and sign (Đã xử lý xong) at `done`; return the result
    (Đã trả kết quả) at `delivered`."""
    before = [done - timedelta(minutes=n) for n in (5, 4, 3, 2, 1)]
    if scanned:
        dossier = step(world, dossier, "scan", before[0])
    for action, moment in zip(("forward", "propose", "approve", "attach"), before[1:], strict=True):
        dossier = step(world, dossier, action, moment)
    dossier = step(world, dossier, "sign", done)
    if delivered is not None:
        dossier = step(world, dossier, "deliver", delivered)
    return dossier


def in_appraisal(world, dossier, moment) -> Dossier:
    dossier = step(world, dossier, "scan", moment)
    return step(world, dossier, "forward", moment)


def rate(dossier, rating, moment, *, complaint=False):
    with time_machine.travel(moment, tick=False):
        rate_dossier(dossier=dossier, rating=rating, complaint=complaint, at=moment)


def without_result_file(dossier) -> Dossier:
    """Our workflow refuses to sign without the result document; the reference's dossiers "done,
    no link" are made by taking the link away afterwards."""
    Dossier.objects.filter(pk=dossier.pk).update(result_file=None)
    return Dossier.objects.get(pk=dossier.pk)


def components_of(dossier):
    return DossierComponent.objects.filter(dossier=dossier)


def march_values(world, *, now=AFTER_MARCH, period=MARCH) -> dict:
    """The indicators of world.unit for March 2025, computed at `now` after a full rebuild."""
    with time_machine.travel(now, tick=False):
        recompute_metrics()
        (row,) = unit_indicators(world.admin, start=period[0], end=period[1], unit=world.unit)
    return row


def points_of(name: str, value: Decimal) -> Decimal:
    return rounded(points(name, Fraction(value), on=MARCH[0]))
