"""Readers of the metrics table (indicators per unit, block, ranking and trend) and the citizens'
dossier look-up. Everything a member of staff reads is scoped to the units under their authority.

The units that count are those handling at least one procedure (the province root handles none),
and inactive ones only when they received, accepted or finished something in the period.

"Overdue open" is read at the end of the period's last day, or at the end of today when the period
reaches today or later.

Decision 766's on-time rate (2.1) judges a dossier still open against the period's end, so its
count depends on the period: the dossiers whose processing ended come from the daily and monthly
tables, those still open from the facts (a partial index holds only the open ones). Reading B's
dossiers accepted earlier and still processed in the period are the running total of
(accepted - ended) up to the day before the period.
"""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import astuple, dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.reads import read_connection
from digitization.indicators import (
    COUNT_NAMES,
    Counts,
    competition_ranks,
    indicator_values,
    rounded,
)
from digitization.metrics_sql import FACTS
from digitization.models import MetricsState, UnitDayMetrics, UnitMonthMetrics
from procedures.models import Block, Dossier, Procedure, Unit
from procedures.scoping import readable_unit_ids

GRANULARITIES = ("day", "week", "month")
# Counted over the period: the Counts field and the table column summed into it.
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
    "accepted": "accepted",
    "accepted_on_time": "accepted_ended_on_time",
    "accepted_online": "accepted_online",
    "accepted_direct": "accepted_direct",
    "accepted_postal": "accepted_postal",
    "paper_result": "paper_result",
    "paper_result_issued": "paper_result_issued",
    "e_result": "e_result",
    "digitized_any": "digitized_any",
    "digitized_all": "digitized_all",
    "accepted_reused": "accepted_reused",
    "disliked": "disliked",
    "disliked_late": "disliked_late",
}
# Running totals: open and overdue at the end of a day; accepted and not yet ended (reading B).
OVERDUE_SUMS = {"overdue_open": "overdue_started - overdue_ended"}
CARRIED_SUMS = {
    "carried": "accepted - ended",
    "carried_on_time": "accepted_ended_on_time - ended_on_time",
}
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


def rounded_values(counts: Counts, *, on: date | None = None) -> dict[str, Decimal | None]:
    return {name: rounded(value) for name, value in indicator_values(counts, on=on).items()}


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


def _judged_on(end: date) -> date:
    """The day a dossier still open is judged on (2.1): the period's last day, or today when
    METRICS_OPEN_JUDGED_AT is "today" and the period runs past it."""
    if settings.METRICS_OPEN_JUDGED_AT == "today":
        return min(end, timezone.localdate())
    return end


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


def _month_end(day: date) -> date:
    return _next_month(day) - ONE_DAY


def cover(start: date, end: date) -> tuple[list, list, list]:
    """[start, end] as the fewest table rows: (month ranges to add, day ranges to add, day
    ranges to take away). A partial month longer than half its month is read as the whole month
    less the days outside the period (a rolling year's first month: 1 month row and 1 day row
    per unit instead of 30 day rows); a shorter one day by day."""
    months, edges = split_months(start, end)
    month_ranges = [months] if months else []
    days, minus = [], []
    for first, last in (piece for edge in edges for piece in _by_month(*edge)):
        month = _month_start(first)
        whole = _month_end(first)
        if (last - first).days + 1 > ((whole - month).days + 1) // 2:
            month_ranges.append((month, month))
            if first > month:
                minus.append((month, first - ONE_DAY))
            if last < whole:
                minus.append((last + ONE_DAY, whole))
        else:
            days.append((first, last))
    return month_ranges, days, minus


def _by_month(first: date, last: date):
    """[first, last] cut at month boundaries."""
    while first <= last:
        yield first, min(last, _month_end(first))
        first = _month_end(first) + ONE_DAY


NEGATED_PERIOD_SUMS = {name: f"-({sql})" for name, sql in PERIOD_SUMS.items()}


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
    """Rows of a metrics `table` summed per `key`: for each (ranges, sums) of `groups`, the sums
    (Counts field -> SQL over the row) of the rows whose date `column` lies in the ranges."""

    totals: dict
    table: str
    column: str
    key: str
    groups: tuple = ()


def _units_sql(unit_ids, column: str = "unit_id") -> tuple[str, list]:
    ids = list(unit_ids)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def _read(unit_ids, *parts: Part) -> None:
    """Add every part's sums to its `totals`, in one statement (UNION ALL of GROUP BYs).

    Written as SQL: this is the hot path of every metrics page, and building the same query
    through the ORM (a dozen filtered aggregates per part) costs more than running it.
    """
    ids = list(unit_ids)
    parts = [
        Part(p.totals, p.table, p.column, p.key, tuple(g for g in p.groups if g[0])) for p in parts
    ]
    parts = [part for part in parts if part.groups]
    if not ids or not parts:
        return
    units, unit_params = _units_sql(ids)
    width = max(sum(len(sums) for _ranges, sums in part.groups) for part in parts)
    selects, params = [], []
    for number, part in enumerate(parts):
        flags, sums, flag_params, every = [], [], [], []
        single = len(part.groups) == 1  # the WHERE picks exactly the group's rows: no flag
        for index, (ranges, expressions) in enumerate(part.groups):
            every += ranges
            if single:
                sums += [f"SUM({sql})" for sql in expressions.values()]
                continue
            in_ranges, range_params = _in_ranges(part.column, ranges)
            flags.append(f", CASE WHEN {in_ranges} THEN 1 ELSE 0 END AS g{index}")
            flag_params += range_params
            sums += [f"SUM(({sql}) * g{index})" for sql in expressions.values()]
        sums += ["0"] * (width - len(sums))
        in_any, any_params = _in_ranges(part.column, _merged(every))
        selects.append(
            f"SELECT {number} AS part, k, {', '.join(sums)} "
            f"FROM (SELECT {part.key} AS k, m.*{''.join(flags)} "
            f"FROM {part.table} m WHERE {units} AND {in_any}) picked GROUP BY k"
        )
        params += [*flag_params, *unit_params, *any_params]
    reading = read_connection()
    with transaction.atomic(using=reading.alias), reading.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A few thousand rows: starting parallel workers would cost more than the scan.
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    for number, key, *values in rows:
        found = parts[number].totals[_as_key(key)]
        names = [name for _ranges, sums in parts[number].groups for name in sums]
        for name, value in zip(names, values, strict=False):
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


def _before(day: date) -> tuple[list, list]:
    """The days before `day`: (whole months, from the monthly table; days of its month)."""
    months = [(EARLIEST, _month_start(day) - ONE_DAY)]
    days = [(_month_start(day), day - ONE_DAY)] if day.day != 1 else []
    return months, days


def _through(day: date) -> tuple[list, list]:
    """The days up to `day` included: (whole months before its month; days of its month)."""
    return [(EARLIEST, _month_start(day) - ONE_DAY)], [(_month_start(day), day)]


def open_on_time_by_unit(unit_ids, start: date, end: date) -> dict[int, tuple[int, int]]:
    """2.1's dossiers still open and within time on the judging day, per unit: (accepted in
    [start, end], accepted before start)."""
    ids = list(unit_ids)
    if not ids:
        return {}
    units, unit_params = _units_sql(ids)
    adapt = connection.ops.adapt_datefield_value
    with read_connection().cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id, SUM(CASE WHEN accepted_day >= %s THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN accepted_day < %s THEN 1 ELSE 0 END) FROM {FACTS} "
            f"WHERE {units} AND open_due_day IS NOT NULL AND accepted_day <= %s "
            f"AND open_due_day > %s GROUP BY unit_id",
            [adapt(start), adapt(start), *unit_params, adapt(end), adapt(_judged_on(end))],
        )
        return {unit: (int(inside or 0), int(before or 0)) for unit, inside, before in cursor}


def counts_by_unit(unit_ids, start: date, end: date) -> dict[int, Counts]:
    """The counts of each unit over [start, end]: whole months from the monthly table, the
    other days from the daily one, in one query; and the open dossiers of 2.1 from the facts."""
    ids = list(unit_ids)
    overdue_months, overdue_days = _through(_overdue_day(end))
    carried_months, carried_days = _before(start)
    months, days, minus = cover(start, end)
    totals = _totals()
    _read(
        ids,
        Part(
            totals,
            MONTHS,
            "month",
            "unit_id",
            (
                (months, PERIOD_SUMS),
                (overdue_months, OVERDUE_SUMS),
                (carried_months, CARRIED_SUMS),
            ),
        ),
        Part(
            totals,
            DAYS,
            "day",
            "unit_id",
            (
                (days, PERIOD_SUMS),
                (minus, NEGATED_PERIOD_SUMS),
                (overdue_days, OVERDUE_SUMS),
                (carried_days, CARRIED_SUMS),
            ),
        ),
    )
    for unit, (inside, before) in open_on_time_by_unit(ids, start, end).items():
        totals[unit]["accepted_on_time"] += inside
        totals[unit]["carried_on_time"] += before
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
    key = (
        f"motcua:metrics:{version}:{start}:{end}:{_overdue_day(end)}:{_judged_on(end)}:"
        f"{settings.METRICS_OPEN_JUDGED_AT}:{scope}"
    )
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
        if not each.active and not (found.received or found.finished or found.accepted):
            continue
        rows.append(UnitIndicators(unit=each, counts=found, values=rounded_values(found, on=start)))
    return rows


def block_indicators(user, *, start: date, end: date) -> list[BlockIndicators]:
    """Each block with units under the user's authority: its totals and their indicators."""
    return block_totals(unit_indicators(user, start=start, end=end), on=start)


def block_totals(rows: list[UnitIndicators], *, on: date | None = None) -> list[BlockIndicators]:
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
                block=block,
                units=len(members),
                counts=total,
                values=rounded_values(total, on=on),
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


# --- 2.2: average processing time of one procedure ----------------------------------------


@dataclass(frozen=True)
class ProcessingTime:
    unit: Unit
    completed: int
    working_days: int
    average: Decimal | None


def processing_time(
    user, *, procedure: Procedure, start: date, end: date, block: str | None = None
) -> list[ProcessingTime]:
    """2.2 per unit handling `procedure`: the dossiers accepted in [start, end] whose result is
    issued (Đã xử lý xong or Đã trả kết quả, whenever), their working days from acceptance to
    the result less the supplement pauses, and the average (two decimals)."""
    units = [u for u in metric_units(user, block=block) if u.pk in _handling(procedure)]
    ids = [u.pk for u in units]
    found: dict[int, tuple[int, int]] = {}
    if ids:
        in_units, unit_params = _units_sql(ids)
        adapt = connection.ops.adapt_datefield_value
        with read_connection().cursor() as cursor:
            cursor.execute(
                f"SELECT unit_id, COUNT(*), SUM(processing_days) FROM {FACTS} "
                f"WHERE procedure_id = %s AND accepted_day >= %s AND accepted_day <= %s "
                f"AND processing_days IS NOT NULL AND {in_units} GROUP BY unit_id",
                [procedure.pk, adapt(start), adapt(end), *unit_params],
            )
            found = {unit: (int(count), int(total)) for unit, count, total in cursor}
    rows = []
    for unit in units:
        count, total = found.get(unit.pk, (0, 0))
        average = rounded(Fraction(total, count)) if count else None
        rows.append(ProcessingTime(unit=unit, completed=count, working_days=total, average=average))
    return rows


def _handling(procedure: Procedure) -> set[int]:
    return set(procedure.units.values_list("pk", flat=True))


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


def running_totals_at(unit_ids, days, sums: dict[str, str]) -> dict[date, dict[str, int]]:
    """The running totals `sums` (OVERDUE_SUMS, CARRIED_SUMS) through the end of each of
    `days`, for the units: the monthly rows of the months before, the daily ones of its month."""
    days = sorted(set(days))
    if not days:
        return {}
    monthly, daily = _totals(), _totals()
    partial = [(_month_start(day), day) for day in days if not _is_month_end(day)]
    _read(
        unit_ids,
        Part(monthly, MONTHS, "month", "month", (([(EARLIEST, _month_start(days[-1]))], sums),)),
        Part(daily, DAYS, "day", "day", ((partial, sums),)),
    )
    found = {}
    for day in days:
        whole_months_before = _month_start(day) if not _is_month_end(day) else _next_month(day)
        found[day] = {
            name: sum(
                values[name] for month, values in monthly.items() if month < whole_months_before
            )
            for name in sums
        }
        if not _is_month_end(day):
            for name in sums:
                found[day][name] += sum(
                    values[name]
                    for each, values in daily.items()
                    if _month_start(day) <= each <= day
                )
    return found


def overdue_open_at(unit_ids, days) -> dict[date, int]:
    """The number of dossiers overdue and open at the end of each of `days`, for the units."""
    return {
        day: values["overdue_open"]
        for day, values in running_totals_at(unit_ids, days, OVERDUE_SUMS).items()
    }


def open_dossiers(unit_ids, end: date) -> list[tuple[date, date, int]]:
    """(accepted day, due day, number) of 2.1's open dossiers of the units accepted by `end`."""
    ids = list(unit_ids)
    if not ids:
        return []
    units, unit_params = _units_sql(ids)
    with read_connection().cursor() as cursor:
        cursor.execute(
            f"SELECT accepted_day, open_due_day, COUNT(*) FROM {FACTS} WHERE {units} "
            f"AND open_due_day IS NOT NULL AND accepted_day <= %s "
            f"GROUP BY accepted_day, open_due_day",
            [*unit_params, connection.ops.adapt_datefield_value(end)],
        )
        return [(_as_key(accepted), _as_key(due), count) for accepted, due, count in cursor]


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
        Part(by_month, MONTHS, "month", "month", (([months] if months else [], PERIOD_SUMS),)),
        Part(by_day, DAYS, "day", "day", ((edges, PERIOD_SUMS),)),
    )
    overdue = overdue_open_at(ids, [_overdue_day(last) for _, last in buckets])
    carried = running_totals_at(ids, [first - ONE_DAY for first, _ in buckets], CARRIED_SUMS)
    still_open = open_dossiers(ids, end)
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
        sums.update(carried[first - ONE_DAY])
        judged = _judged_on(last)
        for accepted, due, count in still_open:
            if accepted <= last and due > judged:
                sums["accepted_on_time" if accepted >= first else "carried_on_time"] += count
        counts = Counts(**sums)
        value = rounded(indicator_values(counts, on=first)[indicator])
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
