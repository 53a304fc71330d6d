"""Readers of the metrics table (indicators per unit, block, ranking and trend) and the citizens'
dossier look-up. Everything a member of staff reads is scoped to the units under their authority.

The units that count are those handling at least one procedure (the province root handles none),
and inactive ones only when they received or finished something in the period.

"Overdue open" is read at the end of the period's last day, or at the end of today when the period
reaches today or later.
"""

import hmac
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from digitization.indicators import (
    Counts,
    competition_ranks,
    indicator_values,
    rounded,
)
from digitization.models import UnitDayMetrics
from procedures.models import Block, Dossier, Procedure, Unit
from procedures.selectors import units_visible_to

GRANULARITIES = ("day", "week", "month")
# Counted over the period; overdue_open is read at its end.
PERIOD_SUMS = {
    "received": "received",
    "received_online": "received_online",
    "digitized": "digitized",
    "reused": "reused",
    "finished": "finished",
    "finished_on_time": "finished_on_time",
    "finished_needing_result": "finished_needing_result",
    "finished_with_result": "finished_with_result",
    "rated": "rated",
    "not_satisfied": "not_satisfied",
}
OVERDUE_CHANGE = F("overdue_started") - F("overdue_ended")


@dataclass(frozen=True)
class UnitIndicators:
    unit: Unit
    counts: Counts
    values: dict[str, Decimal | None]


@dataclass(frozen=True)
class BlockIndicators:
    block: str
    units: int
    counts: Counts
    values: dict[str, Decimal | None]


@dataclass(frozen=True)
class RankedUnit:
    rank: int | None
    value: Decimal | None
    row: UnitIndicators


@dataclass(frozen=True)
class TrendPoint:
    start: date
    end: date
    counts: Counts
    value: Decimal | None


def rounded_values(counts: Counts) -> dict[str, Decimal | None]:
    return {name: rounded(value) for name, value in indicator_values(counts).items()}


# --- units ----------------------------------------------------------------------------------


def metric_units(user, *, block: str | None = None) -> list[Unit]:
    """Units under the user's authority that handle at least one procedure, by code."""
    handles = Procedure.units.through.objects.filter(unit_id=OuterRef("pk"))
    units = units_visible_to(user).filter(Exists(handles)).order_by("code")
    if block:
        units = units.filter(block=block)
    return list(units)


def metric_unit(user, code: str) -> Unit | None:
    return next((unit for unit in metric_units(user) if unit.code == code), None)


def _overdue_day(end: date) -> date:
    return min(end, timezone.localdate())


def counts_by_unit(unit_ids, start: date, end: date) -> dict[int, Counts]:
    """The counts of each unit over [start, end], one GROUP BY over the metrics table."""
    in_period = Q(day__gte=start)
    sums = {name: Sum(column, filter=in_period, default=0) for name, column in PERIOD_SUMS.items()}
    rows = (
        UnitDayMetrics.objects.filter(unit_id__in=list(unit_ids), day__lte=end)
        .values("unit_id")
        .annotate(
            **sums,
            overdue_open=Sum(OVERDUE_CHANGE, filter=Q(day__lte=_overdue_day(end)), default=0),
        )
        .order_by()
    )
    return {row.pop("unit_id"): Counts(**row) for row in rows}


def unit_indicators(
    user, *, start: date, end: date, block: str | None = None, unit: Unit | None = None
) -> list[UnitIndicators]:
    units = [unit] if unit is not None else metric_units(user, block=block)
    counts = counts_by_unit((u.pk for u in units), start, end)
    rows = []
    for each in units:
        found = counts.get(each.pk, Counts())
        if not each.active and not (found.received or found.finished):
            continue
        rows.append(UnitIndicators(unit=each, counts=found, values=rounded_values(found)))
    return rows


def block_indicators(user, *, start: date, end: date) -> list[BlockIndicators]:
    """Each block with units under the user's authority: its totals and their indicators."""
    by_block: dict[str, list[UnitIndicators]] = {}
    for row in unit_indicators(user, start=start, end=end):
        by_block.setdefault(row.unit.block, []).append(row)
    result = []
    for block in Block.values:
        rows = by_block.get(block)
        if not rows:
            continue
        total = sum((row.counts for row in rows), Counts())
        result.append(
            BlockIndicators(
                block=block, units=len(rows), counts=total, values=rounded_values(total)
            )
        )
    return result


def rankings(
    user, *, indicator: str, start: date, end: date, block: str | None = None
) -> list[RankedUnit]:
    """The units (of a block) best first by `indicator`; equal values share a rank (1, 2, 2, 4),
    units without a value come last, unranked."""
    rows = unit_indicators(user, start=start, end=end, block=block)
    rows.sort(key=lambda row: row.unit.code)
    rows.sort(key=lambda row: (row.values[indicator] is None, -(row.values[indicator] or 0)))
    values = [row.values[indicator] for row in rows]
    return [
        RankedUnit(rank=rank, value=value, row=row)
        for rank, value, row in zip(competition_ranks(values), values, rows, strict=True)
    ]


# --- trend ----------------------------------------------------------------------------------


def periods(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    """[start, end] cut into days, ISO weeks (Monday to Sunday) or calendar months."""
    cuts = []
    first = start
    while first <= end:
        if granularity == "day":
            last = first
        elif granularity == "week":
            last = first + timedelta(days=6 - first.weekday())
        else:
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        last = min(last, end)
        cuts.append((first, last))
        first = last + timedelta(days=1)
    return cuts


def trend(
    user,
    *,
    indicator: str,
    granularity: str,
    start: date,
    end: date,
    unit: Unit | None = None,
    block: str | None = None,
) -> list[TrendPoint]:
    """`indicator` per day, week or month of [start, end], for one unit or all of them."""
    units = [unit] if unit is not None else metric_units(user, block=block)
    rows = UnitDayMetrics.objects.filter(unit_id__in=[u.pk for u in units])
    daily = {
        row.pop("day"): row
        for row in rows.filter(day__gte=start, day__lte=end)
        .values("day")
        .annotate(
            **{name: Sum(column) for name, column in PERIOD_SUMS.items()},
            overdue_change=Sum(OVERDUE_CHANGE),
        )
        .order_by()
    }
    before = rows.filter(day__lt=start).aggregate(open=Sum(OVERDUE_CHANGE, default=0))["open"]
    days = sorted(daily)
    running, total = [], before
    for day in days:
        total += daily[day]["overdue_change"]
        running.append(total)

    def overdue_at(day: date) -> int:
        index = bisect_right(days, day)
        return running[index - 1] if index else before

    points = []
    for first, last in periods(start, end, granularity):
        sums = dict.fromkeys(PERIOD_SUMS, 0)
        for day in days[bisect_right(days, first - timedelta(days=1)) : bisect_right(days, last)]:
            for name in PERIOD_SUMS:
                sums[name] += daily[day][name]
        counts = Counts(**sums, overdue_open=overdue_at(_overdue_day(last)))
        points.append(
            TrendPoint(
                start=first,
                end=last,
                counts=counts,
                value=rounded(indicator_values(counts)[indicator]),
            )
        )
    return points


# --- citizens -------------------------------------------------------------------------------


def dossier_for_citizen(code: str, id_last4: str) -> Dossier | None:
    """The dossier with this code if `id_last4` ends its applicant's ID number; else None, the
    same answer as for an unknown code."""
    dossier = (
        Dossier.objects.select_related("procedure", "unit", "satisfaction_rating")
        .filter(code=code)
        .first()
    )
    known = (dossier.applicant_id_number if dossier else "").strip().upper()
    given = id_last4.strip().upper()
    if len(known) < 4 or not hmac.compare_digest(known[-4:].encode(), given.encode()):
        return None
    return dossier
