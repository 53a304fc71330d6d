"""The SQL of the metrics runs (digitization.metrics), portable to PostgreSQL and SQLite.

Local days come from the backend's own conversion (connection.ops), in settings.TIME_ZONE.
"""

from django.conf import settings
from django.db import connection

from digitization.models import (
    DossierFacts,
    MetricsPendingDay,
    Satisfaction,
    SatisfactionRating,
    UnitDayMetrics,
    UnitMonthMetrics,
    WorkingDayRank,
)
from procedures.models import (
    Channel,
    DigitizationStatus,
    Dossier,
    DossierComponent,
    DossierState,
    DossierTransition,
    Procedure,
)

S = DossierState
DOSSIERS = Dossier._meta.db_table
COMPONENTS = DossierComponent._meta.db_table
PROCEDURES = Procedure._meta.db_table
RATINGS = SatisfactionRating._meta.db_table
FACTS = DossierFacts._meta.db_table
METRICS = UnitDayMetrics._meta.db_table
MONTHS = UnitMonthMetrics._meta.db_table
PENDING = MetricsPendingDay._meta.db_table
# The dossiers a run recomputes: a temporary table of the run's own (digitization.metrics._run),
# so that filling and emptying it writes no WAL and leaves no dead rows behind.
PENDING_DOSSIERS = "metrics_run_pending_dossiers"
TRANSITIONS = DossierTransition._meta.db_table
RANKS = WorkingDayRank._meta.db_table

FACT_COLUMNS = (
    "dossier_id",
    "unit_id",
    "received_day",
    "online",
    "digitized",
    "reused",
    "finished_day",
    "on_time",
    "needs_result",
    "has_result",
    "overdue_from",
    "overdue_until",
    "rated_day",
    "not_satisfied",
    "accepted_day",
    "ended_day",
    "on_time_ended",
    "open_due_day",
    "online_national",
    "direct",
    "postal",
    "paper_result",
    "result_issued",
    "e_result",
    "digitized_any",
    "digitized_all",
    "procedure_id",
    "processing_days",
)
DAY_COLUMNS = (
    "received_day",
    "finished_day",
    "overdue_from",
    "overdue_until",
    "rated_day",
    "accepted_day",
    "ended_day",
)
# For each day column of the facts, the metrics counted on it: column -> the condition on the
# facts `f` ("" = each).
FAMILIES = {
    "received_day": {
        "received": "",
        "received_online": "f.online",
        "digitized": "f.digitized",
        "reused": "f.reused",
    },
    "finished_day": {
        "finished": "",
        "finished_on_time": "f.on_time",
        "finished_needing_result": "f.needs_result",
        "finished_with_result": "f.has_result",
    },
    "overdue_from": {"overdue_started": ""},
    "overdue_until": {"overdue_ended": ""},
    "rated_day": {"rated": "", "not_satisfied": "f.not_satisfied"},
    "accepted_day": {
        "accepted": "",
        "accepted_ended_on_time": "f.on_time_ended",
        "accepted_online": "f.online_national",
        "accepted_direct": "f.direct",
        "accepted_postal": "f.postal",
        "paper_result": "f.paper_result",
        "paper_result_issued": "f.result_issued",
        "e_result": "f.e_result",
        "digitized_any": "f.digitized_any",
        "digitized_all": "f.digitized_all",
        "accepted_reused": "f.reused",
        "disliked": "f.not_satisfied",
        "disliked_late": "f.not_satisfied AND NOT f.on_time_ended",
    },
    "ended_day": {"ended": "", "ended_on_time": "f.on_time_ended"},
}
METRIC_COLUMNS = tuple(name for family in FAMILIES.values() for name in family)


def literal(value) -> str:
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def month_sql(column: str) -> str:
    """SQL for the first day of the month of a date expression."""
    sql, params = connection.ops.date_trunc_sql("month", column, ())
    sql = sql % tuple(literal(p) for p in params)
    # PostgreSQL truncates to a timestamp; SQLite already gives the date's text.
    return f"CAST({sql} AS date)" if connection.vendor == "postgresql" else sql


def local_day_sql(column: str) -> str:
    """SQL for the local calendar day (settings.TIME_ZONE) of a timestamp expression."""
    sql, params = connection.ops.datetime_cast_date_sql(column, (), settings.TIME_ZONE)
    return sql % tuple(literal(p) for p in params)


def constant(value) -> str:
    """A constant (a state, a channel) as an SQL literal."""
    return literal(getattr(value, "value", value))


def _in(*values) -> str:
    return ", ".join(constant(value) for value in values)


def end_of_processing() -> str:
    """2.1's end time (NgayKetThucXuLy) of an accepted dossier `d`, null while processing goes
    on: the result issued (Đã xử lý xong, else Đã trả kết quả), processing stopped or withdrawn,
    or the moment a supplement was requested while the dossier waits for it."""
    return (
        f"CASE WHEN d.accepted_at IS NULL THEN NULL "
        f"WHEN d.state = {constant(S.SUPPLEMENT)} THEN d.paused_at "
        f"WHEN d.state IN ({_in(S.DELIVERY, S.COMPLETED)}) "
        f"THEN COALESCE(d.result_signed_at, d.completed_at) "
        f"WHEN d.state IN ({_in(S.REJECTED, S.WITHDRAWN)}) THEN d.completed_at END"
    )


def day_expressions() -> dict[str, str]:
    """The day columns of the facts as SQL over a dossier `d` and its rating `r`."""
    end = "COALESCE(d.paused_at, d.completed_at)"
    due_day, end_day = local_day_sql("d.due_at"), local_day_sql(end)
    finished = f"d.state IN ({constant(S.COMPLETED)}, {constant(S.REJECTED)})"
    return {
        "received_day": f"CASE WHEN d.state <> {constant(S.REFUSED)} "
        f"THEN {local_day_sql('d.received_at')} END",
        "finished_day": f"CASE WHEN {finished} THEN {local_day_sql('d.completed_at')} END",
        "overdue_from": f"CASE WHEN d.due_at IS NOT NULL AND ({end} IS NULL OR {end_day} > "
        f"{due_day}) THEN {due_day} END",
        "overdue_until": f"CASE WHEN d.due_at IS NOT NULL AND {end} IS NOT NULL AND {end_day} > "
        f"{due_day} THEN {end_day} END",
        "rated_day": local_day_sql("r.rated_at"),
        "accepted_day": local_day_sql("d.accepted_at"),
        "ended_day": local_day_sql(end_of_processing()),
    }


def _facts_select(*, source: str, where: str, components: str) -> str:
    """SELECT the facts (in FACT_COLUMNS order) of the dossiers `d` of `source` matching `where`;
    `components` selects the components of those same dossiers, as `c`."""
    days = day_expressions()
    completed = f"d.state = {constant(S.COMPLETED)}"
    finished = f"d.state IN ({constant(S.COMPLETED)}, {constant(S.REJECTED)})"
    issued = f"d.state IN ({_in(S.DELIVERY, S.COMPLETED)})"
    pending, reused = constant(DigitizationStatus.PENDING), constant(DigitizationStatus.REUSED)
    result_kept = "(NOT p.issues_result OR d.result_file_id IS NOT NULL)"
    end = end_of_processing()
    issued_at = "COALESCE(d.result_signed_at, d.completed_at)"
    # The working days of the supplement pauses, read from the log only for the dossiers that
    # had one (a CASE evaluates its branch for those rows alone).
    paused = (
        f"CASE WHEN d.supplement_count > 0 THEN COALESCE(("
        f"SELECT SUM(CASE WHEN t.action = 'resume' THEN k.rank ELSE -k.rank END) "
        f"FROM {TRANSITIONS} t JOIN {RANKS} k ON k.day = {local_day_sql('t.at')} "
        f"WHERE t.dossier_id = d.id AND t.action IN ('request_supplement', 'resume')), 0) "
        f"ELSE 0 END"
    )
    return f"""
        SELECT d.id, d.unit_id,
            {days["received_day"]},
            d.channel = {constant(Channel.ONLINE)},
            COALESCE(cs.missing, 0) = 0
                AND NOT ({completed} AND p.issues_result AND d.result_file_id IS NULL),
            COALESCE(cs.reused, 0) = 1,
            {days["finished_day"]},
            {finished} AND d.due_at IS NOT NULL AND d.completed_at <= d.due_at
                AND d.supplement_count <= 1,
            {completed} AND p.issues_result,
            {completed} AND p.issues_result AND d.result_file_id IS NOT NULL,
            {days["overdue_from"]},
            {days["overdue_until"]},
            {days["rated_day"]},
            COALESCE(r.rating = {constant(Satisfaction.NOT_SATISFIED)} OR r.complaint, FALSE),
            {days["accepted_day"]},
            {days["ended_day"]},
            COALESCE(({end}) <= d.due_at AND d.supplement_count <= 1, FALSE),
            CASE WHEN d.accepted_at IS NOT NULL AND ({end}) IS NULL AND d.supplement_count <= 1
                THEN {local_day_sql("d.due_at")} END,
            d.channel = {constant(Channel.ONLINE)}
                AND (NOT p.issues_result OR ({issued} AND d.result_file_id IS NOT NULL)),
            d.channel = {constant(Channel.DIRECT)},
            d.channel = {constant(Channel.POSTAL)},
            p.issues_result,
            p.issues_result AND {issued},
            p.issues_result AND {issued} AND d.result_file_id IS NOT NULL,
            COALESCE(cs.digitized, 0) = 1 AND {result_kept},
            COALESCE(cs.missing, 0) = 0 AND {result_kept},
            d.procedure_id,
            CASE WHEN d.accepted_at IS NOT NULL AND {issued}
                THEN re.rank - ra.rank - {paused} END
        {source}
        JOIN {PROCEDURES} p ON p.id = d.procedure_id
        LEFT JOIN (
            SELECT c.dossier_id,
                MAX(CASE WHEN c.required AND c.status = {pending} THEN 1 ELSE 0 END) AS missing,
                MAX(CASE WHEN c.status = {reused} THEN 1 ELSE 0 END) AS reused,
                MAX(CASE WHEN c.status <> {pending} THEN 1 ELSE 0 END) AS digitized
            {components}
            GROUP BY c.dossier_id
        ) cs ON cs.dossier_id = d.id
        LEFT JOIN {RANKS} ra ON ra.day = {local_day_sql("d.accepted_at")}
        LEFT JOIN {RANKS} re ON re.day = {local_day_sql(issued_at)}
        LEFT JOIN {RATINGS} r ON r.dossier_id = d.id
        WHERE {where}"""


def facts_of_id_range() -> str:
    """The facts of the dossiers with lo <= id < hi; params (lo, hi) twice."""
    return _facts_select(
        source=f"FROM {DOSSIERS} d",
        components=f"FROM {COMPONENTS} c WHERE c.dossier_id >= %s AND c.dossier_id < %s",
        where="d.id >= %s AND d.id < %s",
    )


def facts_of_pending() -> str:
    """The facts of the dossiers listed in the pending dossiers; no params."""
    return _facts_select(
        source=f"FROM {PENDING_DOSSIERS} x JOIN {DOSSIERS} d ON d.id = x.dossier_id",
        components=(
            f"FROM {PENDING_DOSSIERS} x2 JOIN {COMPONENTS} c ON c.dossier_id = x2.dossier_id"
        ),
        where="1 = 1",
    )


def _counted(source: str, *, sign: int = 1, join: str = "") -> list[str]:
    """One SELECT (unit_id, day, METRIC_COLUMNS...) per family of days, counting the facts `f` of
    `source` (`join`, with {day} for the family's day column, restricts them); `sign` -1 counts
    them negatively."""
    parts = []
    for day, measures in FAMILIES.items():
        counted = []
        for name in METRIC_COLUMNS:
            if name not in measures:
                counted.append(f"0 AS {name}")
            elif measures[name]:
                counted.append(f"SUM(CASE WHEN {measures[name]} THEN {sign} ELSE 0 END) AS {name}")
            else:
                counted.append(f"{sign} * COUNT(*) AS {name}")
        parts.append(
            f"SELECT f.unit_id, f.{day} AS day, {', '.join(counted)} FROM {source} f "
            f"{join.format(day=day)} WHERE f.{day} IS NOT NULL GROUP BY f.unit_id, f.{day}"
        )
    return parts


def _by_day(parts: list[str]) -> str:
    sums = ", ".join(f"SUM({name}) AS {name}" for name in METRIC_COLUMNS)
    return (
        f"SELECT unit_id, day, {month_sql('day')} AS month, {sums} "
        f"FROM ({' UNION ALL '.join(parts)}) families GROUP BY unit_id, day"
    )


def metrics_select(*, pending_only: bool) -> str:
    """SELECT (unit_id, day, month, METRIC_COLUMNS...) counted from the facts, by GROUP BY.

    With `pending_only`, the pending days counted from the facts of the pending dossiers: a run
    marking days pends every dossier counting on them, before or now (metrics._range_condition),
    so those facts are all the facts of those days."""
    join = ""
    if pending_only:
        join = (
            f"JOIN {PENDING_DOSSIERS} x ON x.dossier_id = f.dossier_id "
            f"JOIN {PENDING} w ON w.unit_id = f.unit_id AND w.day = f.{{day}}"
        )
    return _by_day(_counted(FACTS, join=join))


def metrics_change_select(new_facts: str, stored_facts: str) -> str:
    """SELECT (unit_id, day, month, METRIC_COLUMNS...): what the pending dossiers' new facts (the
    table `new_facts`) count, less what their stored facts (`stored_facts`) counted: the change
    to add to each (unit, day) row."""
    return _by_day(_counted(new_facts) + _counted(stored_facts, sign=-1))


def months_select(*, pending_only: bool) -> str:
    """SELECT (unit_id, month, METRIC_COLUMNS...): the daily rows summed per month."""
    sums = ", ".join(f"SUM(m.{name})" for name in METRIC_COLUMNS)
    where = (
        f"WHERE (m.unit_id, m.month) IN (SELECT w.unit_id, {month_sql('w.day')} FROM {PENDING} w)"
        if pending_only
        else ""
    )
    return f"SELECT m.unit_id, m.month, {sums} FROM {METRICS} m {where} GROUP BY m.unit_id, m.month"
