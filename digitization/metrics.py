"""Keeping the per-unit, per-day metrics table current, with set-based SQL only.

Three tables, all derived from the dossiers:

- `DossierFacts`, one row per dossier: its flags and the local days (settings.TIME_ZONE) it counts
  on. Built by INSERT ... SELECT over the dossiers, their components and their rating.
- `UnitDayMetrics`, one row per (unit, day): the facts counted by GROUP BY.
- `UnitMonthMetrics`, one row per (unit, month): the daily rows summed, so that reading a year
  takes a dozen rows per unit.

Day attribution, the definition the tests compute by hand:

- received (the registration, `received_at`'s local day): every dossier except online submissions
  refused at the check (national status 3, "not received"). On that day also count: received
  online (channel online), fully digitized (every required component scanned or reused, and,
  when the dossier was completed for a procedure that issues a result, that result attached —
  optional papers a citizen need not bring are not required), with a reused component (at least
  one component reused from already digitized data).
- finished (`completed_at`'s local day): dossiers completed (result returned) or rejected (the
  unit decided to stop processing). Refused and withdrawn dossiers are not processed by the unit
  and never count as finished. On that day also count: finished on time (completed_at <= due_at
  and at most one supplement request), finished needing a result (completed, for a procedure
  that issues a result) and finished with a digitized result (of those, the result attached).
- overdue open: a dossier is overdue open at the end of day D when its due day (local day of
  due_at) is on or before D and it did not end on or before D, where it ends when it is finished,
  refused, withdrawn or paused for a supplement (`COALESCE(paused_at, completed_at)`; a paused
  dossier's due date is recomputed on resumption). The table holds the changes: `overdue_started`
  on the due day and `overdue_ended` on the day it ends, for dossiers that end after their due
  day or not at all; the number at the end of D is the sum of the changes up to D. This keeps the
  table a function of the dossiers only, never of today's date.
- rated (`rated_at`'s local day): ratings, and those "not satisfied" or with a complaint.
- accepted (`accepted_at`'s local day; Decision 766, see digitization.definitions): accepted,
  of those ended on time (2.1), online with the e-result where one is due (3.3), at the counter,
  by post, of a procedure returning a result document, with it issued, with its file (4.1),
  digitized with a component file / every required one and the result file where due (4.2),
  with a reused component (4.3), disliked and disliked late (5.4).
- ended (local day of 2.1's end of processing: the result issued, stopped, rejected, withdrawn,
  or the supplement request the dossier waits on): ended, and ended on time. Reading B's
  dossiers still processed in a period are the running total of (accepted - ended) before it.
  Open dossiers are judged against the period, so their due day is kept in the facts only
  (`open_due_day`) and read from there.
- 2.2's working days per dossier are differences of working-day ranks (WorkingDayRank, from
  the working calendar, rewritten by every full run) less the supplement pauses of the log.

Runs:

- `refresh_metrics()` (the Celery task, every few minutes) takes the dossiers whose `updated_at`
  moved since the previous run (minus METRICS_CHANGES_OVERLAP_SECONDS), computes their new
  facts, adds to each (unit, day) and (unit, month) row what the new facts count there less what
  their stored facts counted, and stores the new facts: the tables always hold what the stored
  facts count, so the difference is exact and its cost follows the dossiers changed. Every
  writer of dossiers, components and ratings moves `updated_at`.
- `recompute_metrics(start, end)` does the same for every dossier counting (before or now) on a
  day of the range, then recounts every row of the range from the facts; without a range it
  rebuilds both tables.

Runs are serialized by a row lock on `MetricsState`; on PostgreSQL each run reads one snapshot
(REPEATABLE READ), so a dossier changing during a run is seen the same way by every statement.
Not seen: catalogue and working-calendar changes (a procedure starting to issue results, a day
off added) and edits made in the database directly; `recompute_metrics` corrects them.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from digitization.metrics_sql import (
    DAY_COLUMNS,
    DOSSIERS,
    FACT_COLUMNS,
    FACTS,
    METRIC_COLUMNS,
    METRICS,
    MONTHS,
    PENDING,
    PENDING_DOSSIERS,
    RANKS,
    RATINGS,
    facts_of_id_range,
    facts_of_pending,
    metrics_change_select,
    metrics_select,
    month_sql,
    months_select,
)
from digitization.models import MetricsState, WorkingDayRank
from inspections import accountability_tables

BATCH_SIZE = 100_000  # dossier ids per statement when rebuilding

Progress = Callable[[int, int], None]


# --- the statements -----------------------------------------------------------------------------

DAY_INSERT = f"(unit_id, day, month, {', '.join(METRIC_COLUMNS)})"
MONTH_INSERT = f"(unit_id, month, {', '.join(METRIC_COLUMNS)})"


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def _analyze(table: str) -> None:
    """Fresh statistics for a table just filled, so the next statements are planned for its
    real size (a few rows: index look-ups, not scans of every dossier)."""
    if connection.vendor == "postgresql":
        _execute(f"ANALYZE {table}")


def _mark_pending(select: str, params=()) -> None:
    """Add the (unit_id, day) rows of `select` to the pending days."""
    _execute(
        f"INSERT INTO {PENDING} (unit_id, day) SELECT unit_id, day FROM ({select}) marked "
        "WHERE day IS NOT NULL ON CONFLICT (unit_id, day) DO NOTHING",
        params,
    )


def _refresh_pending_dossiers(*, accountability: bool) -> int:
    """Recompute the facts of the pending dossiers and move the metrics of every day they count
    on, before (their stored facts) or now (their new facts), by the difference: the rows of
    those days gain what the new facts count and lose what the stored ones counted, so the cost
    follows the dossiers changed, not the dossiers of the days they touch. Then recompute the
    days marked pending by other means (a range). With `accountability`, recount the dossiers
    in the accountability tables too."""
    _analyze(PENDING_DOSSIERS)
    if accountability:
        accountability_tables.refresh_pending(PENDING_DOSSIERS)
    for table in (NEW_FACTS, STORED_FACTS, CHANGES):
        _execute(f"DROP TABLE IF EXISTS {table}")
    _execute(f"CREATE TEMPORARY TABLE {NEW_FACTS} AS SELECT * FROM {FACTS} WHERE 1 = 0")
    count = _execute(f"INSERT INTO {NEW_FACTS} ({', '.join(FACT_COLUMNS)}) {facts_of_pending()}")
    if connection.vendor == "postgresql":
        # Looked up by key whatever the planner guesses: joined, it may expect every pending
        # dossier to have facts (most are new) and read the whole facts table instead. Not
        # looked up: the dossiers newer than every stored fact (most of a day's).
        stored = (
            f"WHERE f.dossier_id = ANY(ARRAY(SELECT dossier_id FROM {PENDING_DOSSIERS} "
            f"WHERE dossier_id <= (SELECT max(dossier_id) FROM {FACTS})))"
        )
    else:
        stored = f"JOIN {PENDING_DOSSIERS} x ON x.dossier_id = f.dossier_id"
    _execute(f"CREATE TEMPORARY TABLE {STORED_FACTS} AS SELECT f.* FROM {FACTS} f {stored}")
    _execute(
        f"CREATE TEMPORARY TABLE {CHANGES} AS {metrics_change_select(NEW_FACTS, STORED_FACTS)}"
    )
    _analyze(CHANGES)
    _apply_changes()
    _store_new_facts()
    for table in (NEW_FACTS, STORED_FACTS, CHANGES):
        _execute(f"DROP TABLE {table}")
    _recompute_pending_days()
    _execute(f"DELETE FROM {PENDING_DOSSIERS}")
    return count


def _store_new_facts() -> None:
    """Write the new facts over the stored ones: those that changed (a transition in the middle
    of processing changes none), then those of dossiers that had none."""
    values = [c for c in FACT_COLUMNS if c != "dossier_id"]
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    new, stored = (", ".join(f"{table}.{c}" for c in values) for table in ("n", "s"))
    _execute(
        f"UPDATE {FACTS} SET {', '.join(f'{c} = n.{c}' for c in values)} "
        f"FROM {NEW_FACTS} n JOIN {STORED_FACTS} s ON s.dossier_id = n.dossier_id "
        f"WHERE {FACTS}.dossier_id = n.dossier_id AND "
        f"({new}) {distinct} ({stored})"
    )
    columns = ", ".join(FACT_COLUMNS)
    _execute(
        f"INSERT INTO {FACTS} ({columns}) SELECT {columns} FROM {NEW_FACTS} n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {STORED_FACTS} s WHERE s.dossier_id = n.dossier_id)"
    )


# A run's working tables (temporary: the session's own, gone with it).
NEW_FACTS, STORED_FACTS = "metrics_run_new_facts", "metrics_run_stored_facts"
CHANGES = "metrics_run_changes"


def _apply_changes() -> None:
    """Add the changes (CHANGES: unit, day, month and a difference per column) to the daily and
    monthly rows: those that exist move by the difference, the others are written; a row left at
    zero everywhere counts nothing and goes (a full run would not write it: every family counts
    each of its facts in one column at least)."""
    columns = ", ".join(METRIC_COLUMNS)
    some = " OR ".join(f"{c} <> 0" for c in METRIC_COLUMNS)
    nothing = " AND ".join(f"{c} = 0" for c in METRIC_COLUMNS)
    by_month = ", ".join(f"SUM({c}) AS {c}" for c in METRIC_COLUMNS)
    for table, key, keys, changes in (
        (METRICS, "day", "unit_id, day, month", CHANGES),
        (
            MONTHS,
            "month",
            "unit_id, month",
            f"(SELECT unit_id, month, {by_month} FROM {CHANGES} GROUP BY unit_id, month)",
        ),
    ):
        same = f"c.unit_id = {table}.unit_id AND c.{key} = {table}.{key}"
        added = ", ".join(f"{c} = {table}.{c} + c.{c}" for c in METRIC_COLUMNS)
        _execute(f"UPDATE {table} SET {added} FROM {changes} c WHERE {same}")
        _execute(
            f"INSERT INTO {table} ({keys}, {columns}) SELECT {keys}, {columns} FROM {changes} c "
            f"WHERE ({some}) AND NOT EXISTS (SELECT 1 FROM {table} WHERE {same})"
        )
        _execute(
            f"DELETE FROM {table} WHERE {nothing} "
            f"AND EXISTS (SELECT 1 FROM {changes} c WHERE {same})"
        )


def _recompute_pending_days() -> None:
    _analyze(PENDING)
    _execute(
        f"DELETE FROM {METRICS} WHERE EXISTS (SELECT 1 FROM {PENDING} w "
        f"WHERE w.unit_id = {METRICS}.unit_id AND w.day = {METRICS}.day)"
    )
    _execute(f"INSERT INTO {METRICS} {DAY_INSERT} {metrics_select(pending_only=True)}")
    _execute(
        f"DELETE FROM {MONTHS} WHERE (unit_id, month) IN "
        f"(SELECT w.unit_id, {month_sql('w.day')} FROM {PENDING} w)"
    )
    _execute(f"INSERT INTO {MONTHS} {MONTH_INSERT} {months_select(pending_only=True)}")
    _execute(f"DELETE FROM {PENDING}")


def _pend_dossiers(where: str, params, *, first: bool = False) -> None:
    """Add the dossiers `d` matching `where` to the pending dossiers; `first`: the table is
    empty (each dossier is added once, without checking the ones already there)."""
    conflicts = "" if first else " ON CONFLICT (dossier_id) DO NOTHING"
    _execute(
        f"INSERT INTO {PENDING_DOSSIERS} (dossier_id) SELECT d.id FROM {DOSSIERS} d "
        f"WHERE {where}{conflicts}",
        params,
    )


# --- runs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    kind: str  # "rebuild", "range" or "incremental"
    dossiers: int  # dossiers whose facts were (re)computed
    seconds: float


def _param(value):
    """A datetime or date as the driver takes it in raw SQL (naive UTC text on SQLite)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _params(values) -> list:
    return [_param(value) for value in values]


def _run(work, *, wait_seconds: float = 0.0):
    """Run `work(state)` in one transaction holding the MetricsState row lock; None when another
    run still holds it after `wait_seconds`.

    On PostgreSQL, when this call opens the transaction, every statement of it reads the same
    snapshot (REPEATABLE READ).
    """
    MetricsState.objects.bulk_create([MetricsState(pk=1)], ignore_conflicts=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        opens_transaction = not connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql":
                if opens_transaction:
                    _execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # The default cost of a random read (4, for spinning disks) makes the planner scan
                # every dossier and component for a few hundred changed ones; the tables a run
                # reads are in memory or on SSD.
                _execute("SET LOCAL random_page_cost = 1.1")
                # Whatever the connection's setting (DATABASE_JIT, or a PgBouncer role without
                # jit = off): a large day's statements cost enough for the planner to JIT-compile
                # them, which takes longer than running them (0.8 s of a 2 s update of 28,000
                # dossiers at 1M); the work is index look-ups that JIT does not speed up.
                _execute("SET LOCAL jit = off")
            state = MetricsState.objects.select_for_update(skip_locked=True).filter(pk=1).first()
            if state is not None:
                _execute(f"DROP TABLE IF EXISTS {PENDING_DOSSIERS}")
                _execute(
                    f"CREATE TEMPORARY TABLE {PENDING_DOSSIERS} (dossier_id bigint PRIMARY KEY)"
                )
                result = work(state)
                _execute(f"DROP TABLE {PENDING_DOSSIERS}")
                MetricsState.objects.filter(pk=1).update(version=F("version") + 1)
                return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.5)


def _fill_working_day_ranks(*, always: bool) -> None:
    """The working-day rank of every day the calendar covers (procedures.calendar), rewritten by
    every full run (after a calendar change) and filled by the first incremental one."""
    if not always and WorkingDayRank.objects.exists():
        return
    from procedures.calendar import get_calendar

    calendar = get_calendar()
    first_year, last_year = calendar.years
    first, last = date(first_year, 1, 1), date(last_year, 12, 31)
    _execute(f"DELETE FROM {RANKS}")
    rows, day = [], first
    while day <= last:
        rows.append(WorkingDayRank(day=day, rank=calendar.rank(day)))
        day += timedelta(days=1)
    WorkingDayRank.objects.bulk_create(rows, batch_size=5000)
    _analyze(RANKS)


def _rebuild_all(progress: Progress | None) -> int:
    postgresql = connection.vendor == "postgresql"
    _fill_working_day_ranks(always=True)
    if postgresql:
        # Only the metrics runs read the facts, and they wait for this one.
        _execute(f"TRUNCATE {FACTS}")
        # The GROUP BY over every dossier's facts stays in memory rather than spilling to disk.
        _execute("SET LOCAL work_mem = '64MB'")
    else:
        _execute(f"DELETE FROM {FACTS}")
    batches = _id_batches()
    count = 0
    for done, (low, high) in enumerate(batches, start=1):
        count += _execute(
            f"INSERT INTO {FACTS} ({', '.join(FACT_COLUMNS)}) {facts_of_id_range()}",
            [low, high] * 2,
        )
        if progress:
            progress(done, len(batches) + 1)
    if postgresql:
        _execute(f"ANALYZE {FACTS}")
    # Rows are replaced, not truncated, so readers keep the old table until this commits.
    _execute(f"DELETE FROM {METRICS}")
    _execute(f"INSERT INTO {METRICS} {DAY_INSERT} {metrics_select(pending_only=False)}")
    _execute(f"DELETE FROM {MONTHS}")
    _execute(f"INSERT INTO {MONTHS} {MONTH_INSERT} {months_select(pending_only=False)}")
    _execute(f"DELETE FROM {PENDING}")
    if postgresql:
        for table in (METRICS, MONTHS):
            _execute(f"ANALYZE {table}")
    if progress:
        progress(len(batches) + 1, len(batches) + 1)
    return count


def _id_batches() -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {DOSSIERS}")
        low, high = cursor.fetchone()
    if low is None:
        return []
    return [(start, start + BATCH_SIZE) for start in range(low, high + 1, BATCH_SIZE)]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time_of_day.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _range_condition(start: date, end: date) -> tuple[str, list]:
    """Dossiers counting on a day of [start, end] now, or when their facts were last computed."""
    low, high = _day_start(start), _day_start(end + timedelta(days=1))
    stored = " OR ".join(f"({column} >= %s AND {column} <= %s)" for column in DAY_COLUMNS)
    sql = (
        "(d.received_at >= %s AND d.received_at < %s)"
        " OR (d.accepted_at >= %s AND d.accepted_at < %s)"
        " OR (d.result_signed_at >= %s AND d.result_signed_at < %s)"
        " OR (d.completed_at >= %s AND d.completed_at < %s)"
        " OR (d.due_at >= %s AND d.due_at < %s)"
        " OR (d.paused_at >= %s AND d.paused_at < %s)"
        f" OR d.id IN (SELECT dossier_id FROM {RATINGS} WHERE rated_at >= %s AND rated_at < %s)"
        f" OR d.id IN (SELECT dossier_id FROM {FACTS} WHERE {stored})"
    )
    return sql, _params([low, high] * 7 + [start, end] * len(DAY_COLUMNS))


def _accountability_built(state: MetricsState) -> bool:
    """Whether the accountability tables were built (by a full run or the first run after they
    were added); if not, build them now."""
    if state.accountability_counted_before is not None:
        return True
    accountability_tables.rebuild(_id_batches())
    return False


def _catch_up_accountability(state: MetricsState, now: datetime, *, rebuild: bool) -> None:
    """After a full metrics run: rebuild the accountability tables (when asked or never built),
    else recount the dossiers changed since they were counted."""
    if rebuild or state.accountability_counted_before is None:
        accountability_tables.rebuild(_id_batches())
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {DOSSIERS}")
            count = cursor.fetchone()[0]
    else:
        _pend_dossiers("d.updated_at >= %s", _params([state.accountability_counted_before]))
        _analyze(PENDING_DOSSIERS)
        accountability_tables.refresh_pending(PENDING_DOSSIERS)
        count = _execute(f"DELETE FROM {PENDING_DOSSIERS}")
    _accountability_counted(state, now)
    return count


def _accountability_counted(state: MetricsState, now: datetime) -> None:
    """The accountability tables now count every dossier change made before `now`, less the
    overlap (changes committed late by a transaction begun earlier)."""
    overlap = timedelta(seconds=settings.METRICS_CHANGES_OVERLAP_SECONDS)
    state.accountability_counted_before = now - overlap


def refresh_metrics(*, now: datetime | None = None, wait_seconds: float = 0.0):
    """Bring the metrics up to date with the dossiers changed since the previous run.

    The first run rebuilds everything. Returns a RunResult, or None when another run was busy.
    """
    now = now or timezone.now()

    def work(state: MetricsState) -> RunResult:
        started = time.perf_counter()
        if state.changes_through is None:
            kind, count = "rebuild", _rebuild_all(None)
            _catch_up_accountability(state, now, rebuild=False)
            state.rebuilt_at = now
        else:
            overlap = timedelta(seconds=settings.METRICS_CHANGES_OVERLAP_SECONDS)
            since = min(state.changes_through, now) - overlap
            kind = "incremental"
            _fill_working_day_ranks(always=False)
            _pend_dossiers(
                "d.updated_at >= %s AND d.updated_at <= %s", _params([since, now]), first=True
            )
            # The accountability tables are brought up to date by their own run
            # (refresh_accountability); until then their reports correct for these dossiers.
            count = _refresh_pending_dossiers(accountability=False)
        state.changes_through = state.refreshed_at = now
        state.save()
        return RunResult(kind, count, time.perf_counter() - started)

    return _run(work, wait_seconds=wait_seconds)


def refresh_accountability(*, now: datetime | None = None, wait_seconds: float = 0.0):
    """Bring the accountability tables up to date with the dossiers changed since they were last
    counted (built from every dossier the first time). A run of its own, under the metrics'
    lock, so that the metrics' incremental run keeps its cost; the reports are exact meanwhile
    (they correct for the dossiers changed since the tables' last count).

    Returns a RunResult, or None when another run was busy."""
    now = now or timezone.now()

    def work(state: MetricsState) -> RunResult:
        started = time.perf_counter()
        count = _catch_up_accountability(state, now, rebuild=False)
        state.save()
        return RunResult("accountability", count, time.perf_counter() - started)

    return _run(work, wait_seconds=wait_seconds)


def recompute_metrics(
    *,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    wait_seconds: float = 600.0,
    accountability: bool = False,
):
    """Rebuild the metrics of the days from `start` to `end` (both included) from the dossiers;
    without a range, rebuild both tables entirely and restart the incremental runs from `now`
    (and, with `accountability`, rebuild the accountability tables too; else they are brought
    up to date).

    Returns a RunResult, or None when another run kept the lock for `wait_seconds`.
    """
    now = now or timezone.now()
    if (start is None) != (end is None):
        raise ValueError("Give both ends of the range, or neither.")

    def rebuild(state: MetricsState) -> RunResult:
        started = time.perf_counter()
        count = _rebuild_all(progress)
        _catch_up_accountability(state, now, rebuild=accountability)
        state.changes_through = state.refreshed_at = state.rebuilt_at = now
        state.save()
        return RunResult("rebuild", count, time.perf_counter() - started)

    def recompute_range(state: MetricsState) -> RunResult:
        started = time.perf_counter()
        _fill_working_day_ranks(always=False)
        _mark_pending(
            f"SELECT unit_id, day FROM {METRICS} WHERE day >= %s AND day <= %s",
            _params([start, end]),
        )
        if progress:
            progress(1, 3)
        _pend_dossiers(*_range_condition(start, end))
        if progress:
            progress(2, 3)
        built = _accountability_built(state)
        count = _refresh_pending_dossiers(accountability=built)
        if progress:
            progress(3, 3)
        if not built:  # built from every dossier just now
            _accountability_counted(state, now)
            state.save()
        return RunResult("range", count, time.perf_counter() - started)

    if start is not None and start > end:
        raise ValueError("The range starts after it ends.")
    return _run(rebuild if start is None else recompute_range, wait_seconds=wait_seconds)
