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

Everything is set-based: LEAD() over the transition log for the visits, correlated subqueries on
the log (index transition_dossier_at) for the late visits, GROUP BY for the figures. Python only
merges the grouped rows, one per staff member or unit.
"""

from collections import defaultdict

from django.db import connection, models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
    Window,
)
from django.db.models.functions import Lead
from django.db.models.lookups import Exact

from core.reads import read_connection
from inspections.models import BreachKind, Severity
from procedures.models import STEP_STATES, Dossier, DossierTransition, Unit, User
from procedures.selectors import overdue_condition

STEPS = tuple(state.value for state in STEP_STATES)


def _moves(prefix: str = "") -> Q:
    """Log entries (through `prefix`) that change the dossier's state."""
    return ~Q(Exact(F(f"{prefix}source_state"), F(f"{prefix}target_state")))


def with_late_visit(dossiers: QuerySet[Dossier], now) -> QuerySet[Dossier]:
    """The overdue dossiers among `dossiers`, with `late_state` and `late_holder_id`."""
    log = DossierTransition.objects.filter(_moves(), dossier=OuterRef("pk"))
    entered = log.filter(at__lte=OuterRef("due_at")).order_by("-at", "-id")
    left = log.filter(at__gt=OuterRef("due_at")).order_by("at", "id")
    return dossiers.filter(overdue_condition(now)).annotate(
        late_state=Subquery(entered.values("target_state")[:1]),
        late_holder_id=Case(
            When(Exists(left), then=Subquery(left.values("actor_id")[:1])),
            default=F("handler_id"),
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


# --- step visits --------------------------------------------------------------------------------


def _seconds_between(start: str, end: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    if connection.vendor == "sqlite":
        return f"((julianday({end}) - julianday({start})) * 86400.0)"
    raise NotImplementedError(f"no duration arithmetic for {connection.vendor}")


def _visit_figures(dossiers: QuerySet[Dossier], group: str) -> dict:
    """Per holder (group="holder") or unit (group="unit"): handled, finished visits, mean secs."""
    if group not in ("holder", "unit"):
        raise ValueError(group)
    window = {
        "partition_by": [F("id")],
        "order_by": [F("transitions__at").asc(), F("transitions__id").asc()],
    }
    # The filter's join of the log is the one the window and the columns below read.
    visits = (
        dossiers.order_by()
        .filter(_moves("transitions__"))
        .values(
            visit_dossier=F("id"),
            visit_unit=F("unit_id"),
            visit_state=F("transitions__target_state"),
            entered_at=F("transitions__at"),
            left_at=Window(Lead("transitions__at"), **window),
            exit_actor=Window(Lead("transitions__actor_id"), **window),
            holder_now=F("handler_id"),
        )
    )
    inner, params = visits.query.sql_with_params()
    seconds = _seconds_between("s.entered_at", "s.left_at")
    marks = ", ".join(["%s"] * len(STEPS))
    sql = (
        f"SELECT s.{group}, COUNT(DISTINCT s.visit_dossier), COUNT(s.left_at), "
        f"AVG(CASE WHEN s.left_at IS NOT NULL THEN {seconds} END) "
        "FROM (SELECT v.visit_dossier, v.visit_unit AS unit, v.entered_at, v.left_at, "
        "CASE WHEN v.left_at IS NULL THEN v.holder_now ELSE v.exit_actor END AS holder "
        f"FROM ({inner}) v WHERE v.visit_state IN ({marks})) s "
        f"GROUP BY s.{group}"
    )
    with read_connection().cursor() as cursor:
        cursor.execute(sql, [*params, *STEPS])
        return {
            key: {
                "handled": handled,
                "finished_visits": finished,
                "average_hours": None if mean is None else round(float(mean) / 3600, 2),
            }
            for key, handled, finished, mean in cursor.fetchall()
        }


def _late_figures(dossiers: QuerySet[Dossier], now, group: str) -> dict:
    """Per holder or unit: {"total": overdue, "at_step": attributed, "by_step": {step: n}}."""
    key = "late_holder_id" if group == "holder" else "unit_id"
    rows = (
        with_late_visit(dossiers, now)
        .order_by()
        .values(key, "late_state")
        .annotate(n=Count("id"))
        .values_list(key, "late_state", "n")
    )
    figures = defaultdict(lambda: {"total": 0, "at_step": 0, "by_step": dict.fromkeys(STEPS, 0)})
    for owner, state, n in rows:
        if group == "holder" and state not in STEPS:
            continue  # no one held it at a step
        entry = figures[owner]
        entry["total"] += n
        if state in STEPS:
            entry["at_step"] += n
            entry["by_step"][state] += n
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


def _merge(keys, visits, late, found) -> list[dict]:
    rows = []
    empty_late = {"total": 0, "at_step": 0, "by_step": dict.fromkeys(STEPS, 0)}
    for key in keys:
        visit = visits.get(key, {"handled": 0, "finished_visits": 0, "average_hours": None})
        lateness = late.get(key, empty_late)
        rows.append(
            {
                "key": key,
                "dossiers_handled": visit["handled"],
                "late": lateness["total"],
                "late_at_step": lateness["at_step"],
                "late_by_step": lateness["by_step"],
                "finished_step_visits": visit["finished_visits"],
                "average_hours_at_step": visit["average_hours"],
                "findings": found.get(key) or _no_findings(),
            }
        )
    return rows


# --- the reports --------------------------------------------------------------------------------


def staff_report(*, dossiers: QuerySet[Dossier], findings: QuerySet, now) -> list[dict]:
    """One row per staff member (and one with staff None for unassigned lateness)."""
    visits = _visit_figures(dossiers, "holder")
    late = _late_figures(dossiers, now, "holder")
    found = _finding_figures(findings, "staff_id")
    keys = set(visits) | set(late) | set(found)
    people = User.objects.select_related("unit").in_bulk([k for k in keys if k is not None])
    rows = _merge(keys, visits, late, found)
    for row in rows:
        row["staff"] = people.get(row.pop("key"))
    rows.sort(
        key=lambda r: (
            -r["late_at_step"],
            -r["dossiers_handled"],
            r["staff"] is None,
            r["staff"].username if r["staff"] else "",
        )
    )
    return rows


def unit_report(*, dossiers: QuerySet[Dossier], findings: QuerySet, now) -> list[dict]:
    """One row per unit with dossiers received in the period or findings recorded in it."""
    received = dict(
        dossiers.order_by().values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n")
    )
    visits = _visit_figures(dossiers, "unit")
    late = _late_figures(dossiers, now, "unit")
    found = _finding_figures(findings, "inspection__unit_id")
    keys = set(received) | set(visits) | set(late) | set(found)
    units = Unit.objects.in_bulk(list(keys))
    rows = _merge(keys, visits, late, found)
    for row in rows:
        key = row.pop("key")
        row["unit"] = units[key]
        row["dossiers_received"] = received.get(key, 0)
    rows.sort(key=lambda r: (-r["late"], r["unit"].code))
    return rows
