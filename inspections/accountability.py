"""Accountability: who held each overdue dossier when it went late, and figures per staff and unit.

The rules, in one place:

- Overdue: a dossier with a due date that was finished after it, or is still in a step (1-5)
  past it; a paused dossier is not (the same rule as Dossier.is_overdue).
- Step visit: a stay of a dossier in one step state (intake, appraisal, approval, signing,
  delivery), from the log entry that brought it there to the next log entry of the dossier, or
  still going. Log entries are ordered by (at, id). Only entries that change the state count
  here and below: an entry whose source and target are the same (attaching the result) neither
  begins nor ends a visit.
- Holder of a visit: the actor of the log entry that ended it (whoever moved the dossier out of
  the step), or, for a visit still going, the dossier's current handler (none if unassigned).
- Late visit of an overdue dossier: the visit it was in at its due date, i.e. the one begun by the
  last log entry at or before due_at. Its state is the step, its holder the person, the lateness
  is attributed to. If the dossier was in no step then (which the services do not produce), the
  lateness is counted for the unit but attributed to no step or person.
- For the dossiers received in a period (in the units asked), per staff member:
  dossiers handled = distinct dossiers with a step visit they held;
  late at their step = overdue dossiers whose late visit they held (also per step);
  average time at their step = the mean length of their finished step visits in calendar hours
  (nights, weekends and days off included; time paused for a supplement is not in any step);
  findings = findings about them recorded in the period on inspections of those units, by kind
  and severity.
  Per unit the same, grouped by the dossier's unit (findings by the inspected unit), plus the
  dossiers received and all overdue ones.

How it is counted: inspections.accountability_tables keeps, with the metrics runs, one row per
dossier and per (dossier, holder) and their sums per unit and day of receipt (and holder); a
report sums the days of its period, corrected in the same statement for the dossiers changed since
the last run (computed from the log: LEAD() in log order), and adds the dossiers still in a step
that the clock has made late. The late-dossier list reads the step and holder from the same
per-dossier rows, or from the log for a dossier changed since. Python only merges the grouped
rows, one per staff member or unit.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.lookups import Exact

from digitization.models import MetricsState
from inspections import accountability_tables
from inspections.models import BreachKind, Finding, Severity
from procedures.models import Dossier, DossierTransition, Unit, User
from procedures.selectors import overdue_condition

STEPS = accountability_tables.STEPS


@dataclass(frozen=True)
class Scope:
    """What a report covers: the dossiers received from `first_day` to `last_day` in `units`
    (None: every unit), and the findings recorded then (selectors.accountability_scope)."""

    units: frozenset[int] | None
    first_day: date
    last_day: date
    dossiers: QuerySet[Dossier]
    findings: QuerySet[Finding]


# --- the late-dossier list ------------------------------------------------------------------------


def _moves(prefix: str = "") -> Q:
    """Log entries (through `prefix`) that change the dossier's state."""
    return ~Q(Exact(F(f"{prefix}source_state"), F(f"{prefix}target_state")))


def _late_visit_from_log():
    """late_state and late_holder_id of a dossier read from its log (correlated subqueries)."""
    log = DossierTransition.objects.filter(
        _moves(), dossier=OuterRef("pk"), at__gte=OuterRef("received_at")
    )
    entered = log.filter(at__lte=OuterRef("due_at")).order_by("-at", "-id")
    left = log.filter(at__gt=OuterRef("due_at")).order_by("at", "id")
    return (
        Subquery(entered.values("target_state")[:1]),
        Case(
            When(Exists(left), then=Subquery(left.values("actor_id")[:1])),
            default=F("handler_id"),
            output_field=models.BigIntegerField(),
        ),
    )


def with_late_visit(dossiers: QuerySet[Dossier], now) -> QuerySet[Dossier]:
    """The overdue dossiers among `dossiers`, with `late_state` and `late_holder_id`: from the
    accountability facts, or from the log for a dossier changed since they were counted."""
    counted_before = (
        MetricsState.objects.filter(pk=1)
        .values_list("accountability_counted_before", flat=True)
        .first()
    )
    state, holder = _late_visit_from_log()
    overdue = dossiers.filter(overdue_condition(now))
    if counted_before is None:
        return overdue.annotate(late_state=state, late_holder_id=holder)
    changed = Q(updated_at__gte=counted_before)
    return overdue.annotate(
        late_state=Case(
            When(changed, then=state),
            default=F("accountability_facts__late_state"),
            output_field=models.CharField(),
        ),
        late_holder_id=Case(
            When(changed, then=holder),
            default=F("accountability_facts__late_holder"),
            output_field=models.BigIntegerField(),
        ),
    )


def late_dossiers(dossiers: QuerySet[Dossier], now) -> QuerySet[Dossier]:
    """with_late_visit(), with the holder's username, for listing."""
    holder = User.objects.filter(pk=OuterRef("late_holder_id")).values("username")[:1]
    return (
        with_late_visit(dossiers, now)
        .annotate(late_holder=Subquery(holder))
        .select_related("unit", "procedure")
    )


# --- figures ------------------------------------------------------------------------------------


def _figures(scope: Scope, now, group: str) -> dict:
    """Per holder or unit: received, handled, finished visits, mean hours, lateness."""
    rows = accountability_tables.figures(
        group=group,
        units=scope.units,
        first_day=scope.first_day,
        last_day=scope.last_day,
        now=now,
    )
    figures = {}
    for key, received, handled, finished, microseconds, *late in rows:
        by_step = dict(zip(STEPS, (int(n) for n in late[: len(STEPS)]), strict=True))
        mean = None
        if finished:
            seconds = Decimal(microseconds) / Decimal(finished) / Decimal(1_000_000)
            mean = round(float(seconds) / 3600, 2)
        figures[key] = {
            "received": int(received),
            "handled": int(handled),
            "finished_visits": int(finished),
            "average_hours": mean,
            "late": int(sum(late)),
            "at_step": sum(by_step.values()),
            "by_step": by_step,
        }
    return figures


def _no_findings() -> dict:
    return {
        "total": 0,
        "by_kind": dict.fromkeys(BreachKind.values, 0),
        "by_severity": dict.fromkeys(Severity.values, 0),
    }


def _finding_figures(findings: QuerySet, key: str) -> dict:
    figures = defaultdict(_no_findings)
    rows = findings.order_by().values(key, "kind", "severity").annotate(n=Count("id"))
    for row in rows:
        entry = figures[row[key]]
        entry["total"] += row["n"]
        entry["by_kind"][row["kind"]] += row["n"]
        entry["by_severity"][row["severity"]] += row["n"]
    return figures


def _merge(keys, counted, found) -> list[dict]:
    rows = []
    for key in keys:
        figures = counted.get(key)
        rows.append(
            {
                "key": key,
                "dossiers_received": figures["received"] if figures else 0,
                "dossiers_handled": figures["handled"] if figures else 0,
                "late": figures["late"] if figures else 0,
                "late_at_step": figures["at_step"] if figures else 0,
                "late_by_step": figures["by_step"] if figures else dict.fromkeys(STEPS, 0),
                "finished_step_visits": figures["finished_visits"] if figures else 0,
                "average_hours_at_step": figures["average_hours"] if figures else None,
                "findings": found.get(key) or _no_findings(),
            }
        )
    return rows


# --- the reports --------------------------------------------------------------------------------


def staff_report(*, scope: Scope, now) -> list[dict]:
    """One row per staff member (and one with staff None for unassigned lateness)."""
    counted = _figures(scope, now, "holder")
    found = _finding_figures(scope.findings, "staff_id")
    keys = set(counted) | set(found)
    people = User.objects.select_related("unit").in_bulk([k for k in keys if k is not None])
    rows = _merge(keys, counted, found)
    for row in rows:
        row["staff"] = people.get(row.pop("key"))
        del row["dossiers_received"]
    rows.sort(
        key=lambda r: (
            -r["late_at_step"],
            -r["dossiers_handled"],
            r["staff"] is None,
            r["staff"].username if r["staff"] else "",
        )
    )
    return rows


def unit_report(*, scope: Scope, now) -> list[dict]:
    """One row per unit with dossiers received in the period or findings recorded in it."""
    counted = _figures(scope, now, "unit")
    found = _finding_figures(scope.findings, "inspection__unit_id")
    keys = set(counted) | set(found)
    units = Unit.objects.in_bulk(list(keys))
    rows = _merge(keys, counted, found)
    for row in rows:
        row["unit"] = units[row.pop("key")]
    rows.sort(key=lambda r: (-r["late"], r["unit"].code))
    return rows
