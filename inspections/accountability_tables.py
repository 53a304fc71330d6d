"""The SQL of the accountability tables (inspections.models.accountability), portable to
PostgreSQL and SQLite: building them, keeping them current, and reading a report from them.

The rules are inspections.accountability's; this module only counts them set-based:

- `visits_select`: every log entry of a set of dossiers that changes the state (an entry whose
  source and target are the same, attaching the result, neither begins nor ends a visit), with
  the next such entry's time and actor (LEAD over them, in log order (at, id)), so a step visit,
  its holder and its length.
- `facts_select` / `holdings_select`: one row per dossier / per (dossier, holder) from them.
- The day tables: the facts and holdings summed per (unit, day of receipt[, holder]).

The metrics runs (digitization.metrics) call `refresh_pending` for the dossiers whose
`updated_at` moved (the same dossiers as the metrics, under the same lock and snapshot) and
`rebuild` on a full run; MetricsState.accountability_counted_before then says that every
dossier change made before that moment is counted. A report (`figures`) reads the day tables
of its period and corrects them, in the same statement, for the dossiers changed since: their
stored rows are taken out and their rows as they are now, computed from the log, put in. So a
report is exact at any moment, reads no table but the summaries in proportion to the period, and
reads the log only for the few dossiers changed since the last run.
"""

from datetime import UTC, date, datetime

from django.db import connection

from core.reads import read_connection
from digitization.metrics_sql import constant, local_day_sql
from digitization.models import MetricsState
from inspections.models import (
    AccountabilityFacts,
    AccountabilityHolding,
    AccountabilityPendingDay,
    StaffDayAccountability,
    UnitDayAccountability,
)
from procedures.models import STEP_STATES, Dossier, DossierTransition

STEPS = tuple(state.value for state in STEP_STATES)
LATE_COLUMNS = tuple(f"late_{step}" for step in STEPS)

DOSSIERS = Dossier._meta.db_table
TRANSITIONS = DossierTransition._meta.db_table
FACTS = AccountabilityFacts._meta.db_table
HOLDINGS = AccountabilityHolding._meta.db_table
PENDING_DAYS = AccountabilityPendingDay._meta.db_table
UNIT_DAYS = UnitDayAccountability._meta.db_table
STAFF_DAYS = StaffDayAccountability._meta.db_table
STATE = MetricsState._meta.db_table

FACT_COLUMNS = (
    "dossier_id",
    "unit_id",
    "received_day",
    "due_at",
    "in_step",
    "finished_late",
    "late_state",
    "late_holder_id",
    "has_visit",
    "finished_visits",
    "visit_microseconds",
)
HOLDING_COLUMNS = (
    "dossier_id",
    "holder_id",
    "unit_id",
    "received_day",
    "finished_visits",
    "visit_microseconds",
)
DAY_MEASURES = ("handled", "finished_visits", "visit_microseconds", *LATE_COLUMNS)
UNIT_DAY_COLUMNS = ("unit_id", "day", "received", *DAY_MEASURES, "late_elsewhere")
STAFF_DAY_COLUMNS = ("unit_id", "day", "holder_id", *DAY_MEASURES)

STEP_LIST = ", ".join(constant(step) for step in STEPS)
# The log entries that change the state: the only ones beginning or ending a visit.
MOVES = "t.source_state <> t.target_state"


def _microseconds(start: str, end: str) -> str:
    """Whole microseconds from `start` to `end`, exactly (no floating point)."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS bigint)"
    if connection.vendor == "sqlite":  # naive UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'

        def whole(value):
            return f"CAST(strftime('%%s', {value}) AS INTEGER)"

        def fraction(value):
            return f"CAST(substr({value}, 21, 6) AS INTEGER)"

        return f"(({whole(end)} - {whole(start)}) * 1000000 + {fraction(end)} - {fraction(start)})"
    raise NotImplementedError(f"no duration arithmetic for {connection.vendor}")


# --- per dossier ------------------------------------------------------------------------------


def visits_select(where: str, *, few: bool = False) -> str:
    """Every log entry changing the state of the dossiers `d` matching `where` (MOVES), as a
    visit of its target state:
    dossier_id, state, entered_at, left_at (next entry), actor_id, n (1 for the first entry),
    holder (the next entry's actor, or the dossier's handler while still going), microseconds
    (of a finished visit), step (1 for a step state).

    `few`: the dossiers are a few (changed since the last run); on PostgreSQL their log is then
    read dossier by dossier (LATERAL, by the index), which the planner, not knowing how few they
    are, would otherwise read by merging the whole log's index with them. A dossier's log is read
    from its receipt on (it has no entry before; procedures.selectors.dossier_history), so only
    the log partitions from that month on (procedures.partitions)."""
    window = (
        "t.target_state AS state, t.at AS entered_at, t.actor_id, "
        "LEAD(t.at) OVER w AS left_at, LEAD(t.actor_id) OVER w AS exit_actor, "
        "ROW_NUMBER() OVER w AS n"
    )
    if few and connection.vendor == "postgresql":
        entries = (
            f"SELECT d.id AS dossier_id, d.handler_id, e.* FROM {DOSSIERS} d CROSS JOIN LATERAL "
            f"(SELECT {window} FROM {TRANSITIONS} t "
            f"WHERE t.dossier_id = d.id AND t.at >= d.received_at AND {MOVES} "
            "WINDOW w AS (ORDER BY t.at, t.id)) e "
            f"WHERE {where}"
        )
    else:
        entries = (
            f"SELECT t.dossier_id, d.handler_id, {window} FROM {TRANSITIONS} t "
            f"JOIN {DOSSIERS} d ON d.id = t.dossier_id AND t.at >= d.received_at "
            f"WHERE t.dossier_id IN (SELECT d.id FROM {DOSSIERS} d WHERE {where}) AND {MOVES} "
            "WINDOW w AS (PARTITION BY t.dossier_id ORDER BY t.at, t.id)"
        )
    return (
        "SELECT e.dossier_id, e.state, e.entered_at, e.left_at, e.actor_id, e.n, "
        "CASE WHEN e.left_at IS NULL THEN e.handler_id ELSE e.exit_actor END AS holder, "
        f"CASE WHEN e.left_at IS NOT NULL THEN {_microseconds('e.entered_at', 'e.left_at')} "
        "END AS microseconds, "
        f"CASE WHEN e.state IN ({STEP_LIST}) THEN 1 ELSE 0 END AS step "
        f"FROM ({entries}) e"
    )


def facts_select(where: str, visits: str) -> str:
    """SELECT FACT_COLUMNS of the dossiers `d` matching `where`; `visits` is visits_select(where)
    (in parentheses) or the name of a CTE holding it."""
    late = "(v.entered_at <= d.due_at AND (v.left_at IS NULL OR v.left_at > d.due_at))"
    return (
        f"SELECT d.id, d.unit_id, {local_day_sql('d.received_at')}, d.due_at, "
        f"CASE WHEN d.state IN ({STEP_LIST}) THEN TRUE ELSE FALSE END, "
        "CASE WHEN d.completed_at IS NOT NULL AND d.due_at IS NOT NULL "
        "AND d.completed_at > d.due_at THEN TRUE ELSE FALSE END, "
        f"MAX(CASE WHEN {late} THEN v.state END), "
        f"CASE WHEN MAX(CASE WHEN {late} THEN 1 ELSE 0 END) = 1 "
        f"THEN MAX(CASE WHEN {late} THEN v.holder END) "
        "WHEN COUNT(v.dossier_id) > 0 THEN MAX(CASE WHEN v.n = 1 THEN v.actor_id END) "
        "ELSE d.handler_id END, "
        "CASE WHEN MAX(v.step) = 1 THEN TRUE ELSE FALSE END, "
        "COALESCE(SUM(CASE WHEN v.step = 1 AND v.left_at IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN v.step = 1 THEN v.microseconds END), 0) "
        f"FROM {DOSSIERS} d LEFT JOIN {visits} v ON v.dossier_id = d.id "
        f"WHERE {where} "
        "GROUP BY d.id, d.unit_id, d.received_at, d.due_at, d.state, d.completed_at, d.handler_id"
    )


def holdings_select(where: str, visits: str) -> str:
    """SELECT HOLDING_COLUMNS of the dossiers `d` matching `where` (see facts_select)."""
    return (
        f"SELECT v.dossier_id, v.holder, d.unit_id, {local_day_sql('d.received_at')}, "
        "COUNT(v.left_at), COALESCE(SUM(v.microseconds), 0) "
        f"FROM {visits} v JOIN {DOSSIERS} d ON d.id = v.dossier_id "
        f"WHERE v.step = 1 AND {where} "
        "GROUP BY v.dossier_id, v.holder, d.unit_id, d.received_at"
    )


def _late_counts(f: str, sign: str, condition: str, *, elsewhere: bool) -> list[str]:
    """Per step (and, with `elsewhere`, for no step): `sign`1 when facts row `f` meets
    `condition` and went late at that step, else 0."""
    terms = [
        f"CASE WHEN {condition} AND {f}.late_state = {constant(step)} THEN {sign}1 ELSE 0 END"
        for step in STEPS
    ]
    if elsewhere:
        terms.append(
            f"CASE WHEN {condition} AND ({f}.late_state IS NULL "
            f"OR {f}.late_state NOT IN ({STEP_LIST})) THEN {sign}1 ELSE 0 END"
        )
    return terms


# --- the day tables -----------------------------------------------------------------------------


def _only_pending(pending: str | None, alias: str) -> str:
    if pending is None:
        return ""
    return f"JOIN {pending} w ON w.unit_id = {alias}.unit_id AND w.day = {alias}.received_day"


def unit_days_select(pending: str | None) -> str:
    """SELECT UNIT_DAY_COLUMNS from the facts; only the (unit_id, day) rows of table `pending`
    when given. Lateness: the dossiers finished late."""
    late = ", ".join(
        f"SUM({term})" for term in _late_counts("f", "", "f.finished_late", elsewhere=True)
    )
    return (
        "SELECT f.unit_id, f.received_day, COUNT(*), "
        "SUM(CASE WHEN f.has_visit THEN 1 ELSE 0 END), "
        f"SUM(f.finished_visits), SUM(f.visit_microseconds), {late} "
        f"FROM {FACTS} f {_only_pending(pending, 'f')} GROUP BY f.unit_id, f.received_day"
    )


def staff_days_select(pending: str | None) -> str:
    """SELECT STAFF_DAY_COLUMNS from the holdings and the facts (finished late at a step)."""
    zeros = ", ".join("0" for _ in STEPS)
    late = ", ".join(_late_counts("f", "", "f.finished_late", elsewhere=False))
    names = [f"c{i}" for i in range(len(DAY_MEASURES))]
    parts = (
        f"SELECT h.unit_id, h.received_day, h.holder_id, 1, h.finished_visits, "
        f"h.visit_microseconds, {zeros} FROM {HOLDINGS} h {_only_pending(pending, 'h')}",
        f"SELECT f.unit_id, f.received_day, f.late_holder_id, 0, 0, 0, {late} "
        f"FROM {FACTS} f {_only_pending(pending, 'f')} "
        f"WHERE f.finished_late AND f.late_state IN ({STEP_LIST})",
    )
    return (
        f"WITH x (unit_id, day, holder_id, {', '.join(names)}) AS "
        f"({' UNION ALL '.join(parts)}) "
        f"SELECT x.unit_id, x.day, x.holder_id, {', '.join(f'SUM(x.{n})' for n in names)} "
        "FROM x GROUP BY x.unit_id, x.day, x.holder_id"
    )


# --- runs (called by digitization.metrics under its lock) -----------------------------------


def _execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params if params is not None else {})
        return cursor.rowcount


def _insert_facts(where: str, params: dict, *, few: bool = False) -> int:
    """Insert the facts and holdings of the dossiers `d` matching `where`, their visits read from
    the log once (into a temporary table both inserts read)."""
    _execute("DROP TABLE IF EXISTS accountability_visits")
    _execute(
        f"CREATE TEMPORARY TABLE accountability_visits AS {visits_select(where, few=few)}", params
    )
    if connection.vendor == "postgresql":
        _execute("ANALYZE accountability_visits")
    count = _execute(
        f"INSERT INTO {FACTS} ({', '.join(FACT_COLUMNS)}) "
        f"{facts_select(where, 'accountability_visits')}",
        params,
    )
    _execute(
        f"INSERT INTO {HOLDINGS} ({', '.join(HOLDING_COLUMNS)}) "
        f"{holdings_select(where, 'accountability_visits')}",
        params,
    )
    _execute("DROP TABLE accountability_visits")
    return count


def _insert_days(pending: str | None) -> None:
    _execute(f"INSERT INTO {UNIT_DAYS} ({', '.join(UNIT_DAY_COLUMNS)}) {unit_days_select(pending)}")
    _execute(
        f"INSERT INTO {STAFF_DAYS} ({', '.join(STAFF_DAY_COLUMNS)}) {staff_days_select(pending)}"
    )


def _mark_pending_days(pending_dossiers: str) -> None:
    """Add the (unit, day of receipt) of the stored facts of the dossiers listed in table
    `pending_dossiers` to the pending days."""
    _execute(
        f"INSERT INTO {PENDING_DAYS} (unit_id, day) SELECT DISTINCT f.unit_id, f.received_day "
        f"FROM {pending_dossiers} x JOIN {FACTS} f ON f.dossier_id = x.dossier_id "
        "WHERE TRUE ON CONFLICT (unit_id, day) DO NOTHING"
    )


def refresh_pending(pending_dossiers: str) -> int:
    """Recount the dossiers listed in table `pending_dossiers`: their facts and holdings, and the
    day rows of the days of receipt they counted on before or count on now."""
    listed = f"SELECT x.dossier_id FROM {pending_dossiers} x"
    _mark_pending_days(pending_dossiers)
    _execute(f"DELETE FROM {FACTS} WHERE dossier_id IN ({listed})")
    _execute(f"DELETE FROM {HOLDINGS} WHERE dossier_id IN ({listed})")
    count = _insert_facts(f"d.id IN ({listed})", {}, few=True)
    _mark_pending_days(pending_dossiers)
    if connection.vendor == "postgresql":
        _execute(f"ANALYZE {PENDING_DAYS}")  # a few rows: read by index, not every fact
    for table in (UNIT_DAYS, STAFF_DAYS):
        _execute(
            f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {PENDING_DAYS} w "
            f"WHERE w.unit_id = {table}.unit_id AND w.day = {table}.day)"
        )
    _insert_days(PENDING_DAYS)
    _execute(f"DELETE FROM {PENDING_DAYS}")
    return count


def rebuild(id_batches) -> int:
    """Rebuild every table from the dossiers, in batches of dossier ids [(lo, hi), ...]."""
    postgresql = connection.vendor == "postgresql"
    for table in (FACTS, HOLDINGS):
        _execute(f"TRUNCATE {table}" if postgresql else f"DELETE FROM {table}")
    count = 0
    for low, high in id_batches:
        count += _insert_facts("d.id >= %(low)s AND d.id < %(high)s", {"low": low, "high": high})
    if postgresql:
        for table in (FACTS, HOLDINGS):
            _execute(f"ANALYZE {table}")
    for table in (UNIT_DAYS, STAFF_DAYS):
        _execute(f"DELETE FROM {table}")  # readers keep the old rows until this commits
    _insert_days(None)
    if postgresql:
        for table in (UNIT_DAYS, STAFF_DAYS):
            _execute(f"ANALYZE {table}")
    return count


# --- reading ----------------------------------------------------------------------------------

ORIGIN = datetime(1, 1, 2, tzinfo=UTC)


def _in_scope(alias: str, units, day: str = "received_day") -> str:
    where = f"{alias}.{day} >= %(first_day)s AND {alias}.{day} <= %(last_day)s"
    if units is not None:
        listed = ", ".join(str(int(unit)) for unit in units) or "NULL"
        where += f" AND {alias}.unit_id IN ({listed})"
    return where


def changed_dossiers_sql() -> str:
    """The ids of the dossiers changed since the tables last counted them; param `since`
    (`counted_since()`, given as a value: compared with a subquery, the planner could not use
    the index on updated_at and read every dossier — 1.4 s at 10M)."""
    return f"SELECT d.id FROM {DOSSIERS} d WHERE d.updated_at >= %(since)s"


def counted_since(cursor):
    """When the tables last counted the dossiers (every dossier before the first run: ORIGIN).
    Read before the report's statement: a run committing in between only makes the report
    correct a few more dossiers than it needs to, never fewer."""
    cursor.execute(f"SELECT s.accountability_counted_before FROM {STATE} s WHERE s.id = 1")
    row = cursor.fetchone()
    return row[0] if row and row[0] is not None else _param(ORIGIN)


def figures(*, group: str, units, first_day, last_day, now) -> list[tuple]:
    """Per holder (group="holder") or unit (group="unit") of the dossiers received from
    `first_day` to `last_day` in `units` (every unit when None), one tuple each:

    (key, received, handled, finished_visits, visit_microseconds, late_<step>..., late_elsewhere)

    where late counts the dossiers overdue at `now` by the step that held them when they went
    late (elsewhere: no step). Per holder: only lateness at a step, and received is 0. Keys with
    nothing to count are left out.
    """
    if group not in ("holder", "unit"):
        raise ValueError(group)
    live = "d.id IN (SELECT c.id FROM changed c)"
    changed = "IN (SELECT c.id FROM changed c)"
    zeros = ", ".join("0" for _ in STEPS)

    def open_late(f: str) -> str:
        return f"{f}.in_step AND {f}.due_at < %(now)s AND NOT {f}.finished_late"

    def finished_late(f: str) -> str:
        return f"{f}.finished_late"

    def lateness(f: str, table: str, sign: str, late, where: str) -> str:
        if group == "holder":
            terms = ", ".join(_late_counts(f, sign, late(f), elsewhere=False))
            return (
                f"SELECT {f}.late_holder_id, 0, 0, 0, 0, {terms}, 0 FROM {table} {f} "
                f"WHERE {where} AND {late(f)} AND {f}.late_state IN ({STEP_LIST}) "
                f"AND {_in_scope(f, units)}"
            )
        terms = ", ".join(_late_counts(f, sign, late(f), elsewhere=True))
        return (
            f"SELECT {f}.unit_id, 0, 0, 0, 0, {terms} FROM {table} {f} "
            f"WHERE {where} AND {late(f)} AND {_in_scope(f, units)}"
        )

    if group == "holder":
        days = (
            f"SELECT s.holder_id, 0, s.handled, s.finished_visits, s.visit_microseconds, "
            f"{', '.join('s.' + c for c in LATE_COLUMNS)}, 0 FROM {STAFF_DAYS} s "
            f"WHERE {_in_scope('s', units, 'day')}"
        )

        def visits(h: str, table: str, sign: str) -> str:
            return (
                f"SELECT {h}.holder_id, 0, {sign}1, {sign}{h}.finished_visits, "
                f"{sign}{h}.visit_microseconds, {zeros}, 0 FROM {table} {h} "
                f"WHERE {h}.dossier_id {changed} AND {_in_scope(h, units)}"
            )

        corrections = [visits("h", HOLDINGS, "-"), visits("lh", "live_holdings", "")]
    else:
        days = (
            f"SELECT u.unit_id, u.received, u.handled, u.finished_visits, u.visit_microseconds, "
            f"{', '.join('u.' + c for c in LATE_COLUMNS)}, u.late_elsewhere FROM {UNIT_DAYS} u "
            f"WHERE {_in_scope('u', units, 'day')}"
        )

        def visits(f: str, table: str, sign: str) -> str:
            return (
                f"SELECT {f}.unit_id, {sign}1, CASE WHEN {f}.has_visit THEN {sign}1 ELSE 0 END, "
                f"{sign}{f}.finished_visits, {sign}{f}.visit_microseconds, {zeros}, 0 "
                f"FROM {table} {f} WHERE {f}.dossier_id {changed} AND {_in_scope(f, units)}"
            )

        corrections = [visits("f", FACTS, "-"), visits("lf", "live_facts", "")]
    parts = [
        days,
        *corrections,
        lateness("f", FACTS, "-", finished_late, f"f.dossier_id {changed}"),
        lateness("lf", "live_facts", "", finished_late, "TRUE"),
        lateness(
            "f",
            FACTS,
            "",
            open_late,
            "NOT EXISTS (SELECT 1 FROM changed c WHERE c.id = f.dossier_id)",
        ),
        lateness("lf", "live_facts", "", open_late, "TRUE"),
    ]
    measures = ["received", "handled", "finished", "microseconds", *LATE_COLUMNS, "elsewhere"]
    sums = ", ".join(f"SUM(p.{m})" for m in measures)
    nonzero = " OR ".join(f"SUM(p.{m}) <> 0" for m in measures if m != "microseconds")
    sql = (
        f"WITH changed AS ({changed_dossiers_sql()}), "
        f"live_visits AS ({visits_select(live, few=True)}), "
        f"live_facts ({', '.join(FACT_COLUMNS)}) AS ({facts_select(live, 'live_visits')}), "
        f"live_holdings ({', '.join(HOLDING_COLUMNS)}) AS "
        f"({holdings_select(live, 'live_visits')}), "
        f"p (k, {', '.join(measures)}) AS ({' UNION ALL '.join(parts)}) "
        f"SELECT p.k, {sums} FROM p GROUP BY p.k HAVING {nonzero}"
    )
    params = {
        "now": _param(now),
        "first_day": _param(first_day),
        "last_day": _param(last_day),
    }
    with read_connection().cursor() as cursor:
        params["since"] = counted_since(cursor)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _param(value):
    """A datetime or date as the driver takes it in raw SQL (naive UTC text on SQLite)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value
