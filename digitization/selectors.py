"""Readers of the metrics table (indicators per unit, block, ranking and trend) and the citizens'
dossier look-up. Everything a member of staff reads is scoped to the units under their authority.

The units that count are those handling at least one procedure (the province root handles none),
and inactive ones only when they received or finished something in the period.

"Overdue open" is read at the end of the period's last day, or at the end of today when the period
reaches today or later.
"""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import astuple, dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from digitization.indicators import (
    COUNT_NAMES,
    Counts,
    competition_ranks,
    indicator_values,
    rounded,
)
from digitization.models import MetricsState, UnitDayMetrics, UnitMonthMetrics
from procedures.models import Block, Dossier, Procedure, Unit
from procedures.scoping import readable_unit_ids

GRANULARITIES = ("day", "week", "month")
# Counted over the period; overdue_open is read at its end.
PERIOD_SUMS = (
    "received",
    "received_online",
    "digitized",
    "reused",
    "finished",
    "finished_on_time",
    "finished_needing_result",
    "finished_with_result",
    "rated",
    "not_satisfied",
)
DAYS, MONTHS = UnitDayMetrics._meta.db_table, UnitMonthMetrics._meta.db_table
EARLIEST = date(1, 1, 1)


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
    units = Unit.objects.filter(Exists(handles)).order_by("code")
    if block:
        units = units.filter(block=block)
    readable = readable_unit_ids(user)
    return [unit for unit in units if readable is None or unit.pk in readable]


def metric_unit(user, code: str) -> Unit | None:
    return next((unit for unit in metric_units(user) if unit.code == code), None)


def _overdue_day(end: date) -> date:
    return min(end, timezone.localdate())


ONE_DAY = timedelta(days=1)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _is_month_end(day: date) -> bool:
    return (day + ONE_DAY).day == 1


def split_months(start: date, end: date):
    """[start, end] as (first, last) whole months, or None, and the days outside them."""
    first = start if start.day == 1 else _next_month(start)
    last_day = end if _is_month_end(end) else _month_start(end) - ONE_DAY
    if first > last_day:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - ONE_DAY))
    if last_day < end:
        edges.append((last_day + ONE_DAY, end))
    return (first, _month_start(last_day)), edges


def _totals():
    return defaultdict(lambda: dict.fromkeys(COUNT_NAMES, 0))


def _in_ranges(column: str, ranges) -> tuple[str, list]:
    if not ranges:
        return "(1 = 0)", []
    sql = " OR ".join(f"({column} >= %s AND {column} <= %s)" for _ in ranges)
    adapt = connection.ops.adapt_datefield_value
    return f"({sql})", [adapt(day) for pair in ranges for day in pair]


@dataclass(frozen=True)
class Part:
    """Rows of a metrics `table` summed per `key`: the counts of those whose date `column` lies
    in the `period` ranges, and the overdue changes of those in the `overdue` ranges."""

    totals: dict
    table: str
    column: str
    key: str
    period: list | None = None
    overdue: list | None = None


def _read(unit_ids, *parts: Part) -> None:
    """Add every part's sums to its `totals`, in one statement (UNION ALL of GROUP BYs).

    Written as SQL: this is the hot path of every metrics page, and building the same query
    through the ORM (a dozen filtered aggregates per part) costs more than running it.
    """
    ids = list(unit_ids)
    parts = [part for part in parts if part.period or part.overdue]
    if not ids or not parts:
        return
    if connection.vendor == "postgresql":
        units, unit_params = "unit_id = ANY(%s)", [ids]
    else:
        units, unit_params = f"unit_id IN ({', '.join(['%s'] * len(ids))})", ids
    sums = ", ".join(f"SUM({name} * p)" for name in PERIOD_SUMS)
    selects, params = [], []
    for number, part in enumerate(parts):
        column = part.column
        in_period, period_params = _in_ranges(column, part.period or [])
        in_overdue, overdue_params = _in_ranges(column, part.overdue or [])
        in_either, either_params = _in_ranges(
            column, _merged([*(part.period or ()), *(part.overdue or ())])
        )
        selects.append(
            f"SELECT {number} AS part, k, {sums}, SUM((overdue_started - overdue_ended) * o) "
            f"FROM (SELECT {part.key} AS k, {', '.join(PERIOD_SUMS)}, overdue_started, "
            f"overdue_ended, CASE WHEN {in_period} THEN 1 ELSE 0 END AS p, "
            f"CASE WHEN {in_overdue} THEN 1 ELSE 0 END AS o "
            f"FROM {part.table} WHERE {units} AND {in_either}) picked GROUP BY k"
        )
        params += [*period_params, *overdue_params, *unit_params, *either_params]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A few thousand rows: starting parallel workers would cost more than the scan.
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    names = (*PERIOD_SUMS, "overdue_open")
    for number, key, *values in rows:
        found = parts[number].totals[_as_key(key)]
        for name, value in zip(names, values, strict=True):
            found[name] += int(value or 0)


def _merged(ranges) -> list[tuple[date, date]]:
    """Overlapping or adjacent (first, last) day ranges joined."""
    merged: list[tuple[date, date]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + ONE_DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _as_key(value):
    """Dates come back as text from SQLite."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def counts_by_unit(unit_ids, start: date, end: date) -> dict[int, Counts]:
    """The counts of each unit over [start, end]: whole months from the monthly table, the
    other days from the daily one; one query."""
    overdue_day = _overdue_day(end)
    months, edges = split_months(start, end)
    totals = _totals()
    _read(
        unit_ids,
        Part(
            totals,
            MONTHS,
            "month",
            "unit_id",
            period=[months] if months else None,
            overdue=[(EARLIEST, _month_start(overdue_day) - ONE_DAY)],
        ),
        Part(
            totals,
            DAYS,
            "day",
            "unit_id",
            period=edges,
            overdue=[(_month_start(overdue_day), overdue_day)],
        ),
    )
    return {unit: Counts(**values) for unit, values in totals.items()}


def cached_counts_by_unit(unit_ids, start: date, end: date) -> dict[int, Counts]:
    """counts_by_unit, kept in the cache until the next metrics run (METRICS_CACHE_SECONDS at
    most): the tables change only when a run commits, and leaders ask the same questions."""
    ids = sorted(unit_ids)
    seconds = settings.METRICS_CACHE_SECONDS
    version = MetricsState.objects.filter(pk=1).values_list("version", flat=True).first()
    if not seconds or version is None:
        return counts_by_unit(ids, start, end)
    scope = hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()
    key = f"motcua:metrics:{version}:{start}:{end}:{_overdue_day(end)}:{scope}"
    found = cache.get(key)
    if found is not None:
        return {unit: Counts(*values) for unit, values in found.items()}
    counts = counts_by_unit(ids, start, end)
    cache.set(key, {unit: astuple(value) for unit, value in counts.items()}, seconds)
    return counts


def unit_indicators(
    user, *, start: date, end: date, block: str | None = None, unit: Unit | None = None
) -> list[UnitIndicators]:
    units = [unit] if unit is not None else metric_units(user, block=block)
    counts = cached_counts_by_unit((u.pk for u in units), start, end)
    rows = []
    for each in units:
        found = counts.get(each.pk, Counts())
        if not each.active and not (found.received or found.finished):
            continue
        rows.append(UnitIndicators(unit=each, counts=found, values=rounded_values(found)))
    return rows


def block_indicators(user, *, start: date, end: date) -> list[BlockIndicators]:
    """Each block with units under the user's authority: its totals and their indicators."""
    return block_totals(unit_indicators(user, start=start, end=end))


def block_totals(rows: list[UnitIndicators]) -> list[BlockIndicators]:
    by_block: dict[str, list[UnitIndicators]] = {}
    for row in rows:
        by_block.setdefault(row.unit.block, []).append(row)
    result = []
    for block in Block.values:
        members = by_block.get(block)
        if not members:
            continue
        total = sum((row.counts for row in members), Counts())
        result.append(
            BlockIndicators(
                block=block, units=len(members), counts=total, values=rounded_values(total)
            )
        )
    return result


def rankings(
    user, *, indicator: str, start: date, end: date, block: str | None = None
) -> list[RankedUnit]:
    """The units (of a block) best first by `indicator`; equal values share a rank (1, 2, 2, 4),
    units without a value come last, unranked."""
    return ranked(unit_indicators(user, start=start, end=end, block=block), indicator)


def ranked(rows: list[UnitIndicators], indicator: str) -> list[RankedUnit]:
    rows = sorted(rows, key=lambda row: row.unit.code)
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


def overdue_open_at(unit_ids, days) -> dict[date, int]:
    """The number of dossiers overdue and open at the end of each of `days`, for the units:
    the monthly changes of the months before, and the daily ones of the day's month."""
    days = sorted(set(days))
    if not days:
        return {}
    monthly, daily = _totals(), _totals()
    partial = [(_month_start(day), day) for day in days if not _is_month_end(day)]
    _read(
        unit_ids,
        Part(monthly, MONTHS, "month", "month", overdue=[(EARLIEST, _month_start(days[-1]))]),
        Part(daily, DAYS, "day", "day", overdue=partial),
    )
    found = {}
    for day in days:
        whole_months_before = _month_start(day) if not _is_month_end(day) else _next_month(day)
        found[day] = sum(
            values["overdue_open"]
            for month, values in monthly.items()
            if month < whole_months_before
        )
        if not _is_month_end(day):
            found[day] += sum(
                values["overdue_open"]
                for each, values in daily.items()
                if _month_start(day) <= each <= day
            )
    return found


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
    ids = [u.pk for u in units]
    buckets = periods(start, end, granularity)
    by_month, by_day = _totals(), _totals()
    months, edges = split_months(start, end) if granularity == "month" else (None, [(start, end)])
    _read(
        ids,
        Part(by_month, MONTHS, "month", "month", period=[months] if months else None),
        Part(by_day, DAYS, "day", "day", period=edges),
    )
    overdue = overdue_open_at(ids, [_overdue_day(last) for _, last in buckets])
    empty = dict.fromkeys(COUNT_NAMES, 0)
    points = []
    for first, last in buckets:
        if granularity == "month" and first.day == 1 and _is_month_end(last):
            sums = dict(by_month.get(first, empty))
        else:
            sums = dict(empty)
            for day, values in by_day.items():
                if first <= day <= last:
                    for name in PERIOD_SUMS:
                        sums[name] += values[name]
        sums["overdue_open"] = overdue[_overdue_day(last)]
        counts = Counts(**sums)
        value = rounded(indicator_values(counts)[indicator])
        points.append(TrendPoint(start=first, end=last, counts=counts, value=value))
    return points


# --- citizens -------------------------------------------------------------------------------


def dossier_for_citizen(code: str, id_last4: str) -> Dossier | None:
    """The dossier with this code if `id_last4` ends its applicant's ID number; else None, the
    same answer as for an unknown code."""
    dossier = (
        Dossier.objects.select_related("procedure", "unit", "satisfaction_rating", "apology")
        .filter(code=code)
        .first()
    )
    known = (dossier.applicant_id_number if dossier else "").strip().upper()
    given = id_last4.strip().upper()
    if len(known) < 4 or not hmac.compare_digest(known[-4:].encode(), given.encode()):
        return None
    return dossier
