"""Set-based generation of dossiers on PostgreSQL (`generate_dossiers --fast`).

The same dossiers as devtools.bulk — same pairs of unit and procedure and their weights, channels,
states, deadlines in working days, components, transition log, codes and sequences — computed by
PostgreSQL itself: INSERT … SELECT over generate_series, a chunk of dossiers per statement.

Randomness: every draw is a hash of (the dossier's ordinal in the run, the draw's number, the seed),
so a run is repeatable whatever plan PostgreSQL picks. The pairs of unit and procedure (a small
temporary table) and the names (arrays, devtools.names) are picked by a uniform draw of a slot, each
held as many times as its weight; the working-day calendar is prepared in Python (the domain's
WorkingCalendar) and passed as arrays: the rank of each day and the closing time of each working
day.

The whole run is one transaction: the dossier, component and log tables are locked; when the run
at least doubles them their indexes are dropped and rebuilt at the end (all but the dossier's
primary key, which other tables' foreign keys use); the foreign-key triggers are off
(session_replication_role) when the role is a superuser — the rows reference only the catalogue,
staff and file rows they were built from.
"""

import os
import time as clock
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from devtools import names
from devtools.bulk import (
    PROCESSING,
    ensure_staff,
    handling_pairs,
    placeholder_file,
    receipt_days,
)
from procedures.calendar import get_calendar
from procedures.models import (
    Dossier,
    DossierComponent,
    DossierSequence,
    DossierTransition,
)
from procedures.models.dossiers import step_due_days

DOSSIER = Dossier._meta.db_table
COMPONENT = DossierComponent._meta.db_table
LOG = DossierTransition._meta.db_table
SEQUENCE = DossierSequence._meta.db_table
TABLES = (DOSSIER, COMPONENT, LOG)

# Draws, by number: each is a uniform in [0, 1) of its own.
DRAWS = [
    "pair",
    "day",
    "minute",
    "back",
    "channel",
    "sex",
    "family",
    "middle",
    "given",
    "id_number",
    "phone",
    "house",
    "accept_hours",
    "refuse",
    "late",
    "span",
    "stuck",
    "fate",
    "mid_supplement",
    "final_hours",
    "pause",
    "pause_hours",
    "digitized",
    "reuse",
]


class PostgreSQLOnly(ValueError):
    pass


class Phases:
    """Wall-clock seconds per phase, and the database backend's CPU seconds when its process
    can be read here (/proc, the same machine): on a busy machine the CPU time is the steadier
    figure."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._stat = None

    def watch(self, cursor) -> None:
        cursor.execute("SELECT pg_backend_pid()")
        path = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        if path.exists():
            self._stat = path

    def _cpu(self) -> float | None:
        try:
            fields = self._stat.read_text().rsplit(")", 1)[1].split()
        except (AttributeError, OSError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @contextmanager
    def __call__(self, name: str):
        started, cpu = clock.perf_counter(), self._cpu()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + clock.perf_counter() - started
            used = self._cpu()
            if cpu is not None and used is not None:
                key = f"{name} (database CPU)"
                self.seconds[key] = self.seconds.get(key, 0.0) + used - cpu


def _uniform(key: str, salt: str) -> str:
    """SQL for a uniform draw in [0, 1) from a 64-bit hash of `key` salted with `salt`."""
    return f"((hashint8extended({key}, {salt}) & 9007199254740991)::float8 / 9007199254740992.0)"


class FastGenerator:
    def __init__(self, *, seed: int, days: int, with_history: bool, now: datetime | None = None):
        if connection.vendor != "postgresql":
            raise PostgreSQLOnly("The fast generator is PostgreSQL only.")
        self.seed = seed
        self.days = days
        self.with_history = with_history
        self.now = now or timezone.now()
        self.calendar = get_calendar()
        self.today = timezone.localdate(self.now)
        self.pairs, self.weights = handling_pairs()
        self.staff = ensure_staff(sorted({u for u, _ in self.pairs}, key=lambda u: u.pk))
        self.placeholder = placeholder_file()
        self.receipt_days = receipt_days(self.calendar, self.today, days)
        self.index_seconds: dict[str, float] = {}
        self.name_params: dict[str, list] = {}

    # --- the small tables and arrays the statements read ---------------------------------

    def _draw(self, name: str, key: str = "g.n") -> str:
        return _uniform(key, str(self.seed * 1_000_003 + DRAWS.index(name)))

    def _component_draw(self, number: int) -> str:
        # per component: keyed by the dossier's ordinal and the component's rank
        return _uniform("g.n * 64 + c.k", str(self.seed * 1_000_003 + 500 + number))

    def _prepare_calendar(self) -> None:
        procedures = {p.pk: p for _, p in self.pairs}.values()
        longest = max(p.processing_days for p in procedures)
        self.cal_start = min(self.receipt_days[0], self.today) - timedelta(days=3)
        cal_end = self.calendar.add_working_days(self.today, longest + 3) + timedelta(days=7)
        self.rank_base = self.calendar.rank(self.cal_start - timedelta(days=1))
        ranks, working, closes = [], [], []
        day = self.cal_start
        while day <= cal_end:
            ranks.append(self.calendar.rank(day))
            is_working = self.calendar.is_working_day(day)
            working.append(is_working)
            if is_working:
                closes.append(int(self.calendar.closing_time(day).timestamp()))
            day += timedelta(days=1)
        self.ranks, self.working, self.closes = ranks, working, closes

    def _create_small_tables(self, cursor) -> None:
        cursor.execute(
            "CREATE TEMP TABLE fg_pair (slot int PRIMARY KEY, unit_id bigint, procedure_id bigint,"
            " unit_code text, unit_name text, clerk bigint, specialist bigint, approver bigint,"
            " online_full boolean, issues_result boolean, total int,"
            " d1 int, d2 int, d3 int, d4 int, d5 int) ON COMMIT DROP"
        )
        rows, slot = [], 0
        for (unit, procedure), weight in zip(self.pairs, self.weights, strict=True):
            steps = step_due_days(procedure.processing_days, procedure.step_shares)
            staff = [self.staff[(unit.pk, role)] for role in PROCESSING]
            for _ in range(weight):
                rows.append(
                    (
                        slot,
                        unit.pk,
                        procedure.pk,
                        unit.code,
                        unit.name,
                        *staff,
                        procedure.online_level == "full",
                        procedure.issues_result,
                        procedure.processing_days,
                        *steps,
                    )
                )
                slot += 1
        self.pair_slots = slot
        self._copy(cursor, "fg_pair", rows)

        cursor.execute("CREATE TEMP TABLE fg_day (slot int PRIMARY KEY, day date) ON COMMIT DROP")
        self._copy(cursor, "fg_day", list(enumerate(self.receipt_days)))

        cursor.execute(
            "CREATE TEMP TABLE fg_component (procedure_id bigint, k int, component_id bigint,"
            " name text, required boolean, position int, PRIMARY KEY (procedure_id, k))"
            " ON COMMIT DROP"
        )
        rows = []
        for procedure in {p.pk: p for _, p in self.pairs}.values():
            for k, component in enumerate(procedure.components.all()):
                rows.append(
                    (
                        procedure.pk,
                        k,
                        component.pk,
                        component.name,
                        component.required,
                        component.position,
                    )
                )
        self._copy(cursor, "fg_component", rows)
        cursor.execute("ANALYZE fg_pair, fg_day, fg_component")

    def _name_sql(self) -> str:
        """SQL: the applicant's full name, each part picked by a uniform draw of a slot (an
        array of name numbers, each held as many times as its weight) then its name."""
        every = names.slots()
        listed = sorted({name for held in every.values() for name in held})
        number = {name: i + 1 for i, name in enumerate(listed)}
        self.name_params = {"names": listed}

        def pick(part, sex, draw):
            held = every[(part, sex)]
            key = f"slots_{part}_{sex or 'all'}"
            self.name_params[key] = [number[name] for name in held]
            return (
                f"(%(names)s::text[])[(%({key})s::int[])"
                f"[1 + floor({self._draw(draw)} * {len(held)})::int]]"
            )

        def by_sex(part, draw):
            return (
                f"CASE WHEN g.male THEN {pick(part, 'male', draw)}"
                f" ELSE {pick(part, 'female', draw)} END"
            )

        return (
            f"{pick('family', '', 'family')} || ' ' || {by_sex('middle', 'middle')}"
            f" || ' ' || {by_sex('given', 'given')}"
        )

    @staticmethod
    def _copy(cursor, table: str, rows) -> None:
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    # --- the statements ------------------------------------------------------------------

    def _eff_rank(self, moment: str) -> str:
        """SQL: the calendar rank of the working day `moment` counts for (effective_day)."""
        local = f"({moment} AT TIME ZONE %(tz)s)"
        index = f"(({local})::date - %(cal_start)s::date + 1)"
        return (
            f"(%(ranks)s::int[])[{index}] + CASE WHEN ({local})::time > %(closes_at)s::time"
            f" OR NOT (%(working)s::boolean[])[{index}] THEN 1 ELSE 0 END"
        )

    def _closing(self, rank: str) -> str:
        """SQL: closing time of the working day of rank `rank`."""
        return f"to_timestamp((%(closes)s::bigint[])[{rank} - %(rank_base)s])"

    def _gen_sql(self) -> str:
        d = self._draw
        days = [f"g.d{i}" for i in range(1, 6)]
        return f"""
        CREATE TEMP TABLE fg_gen ON COMMIT DROP AS
        WITH drawn AS (
            SELECT g.n, g.male, p.*, dd.day AS receipt_day,
                   {d("minute")} AS u_minute, {d("back")} AS u_back,
                   {d("channel")} AS u_channel,
                   {d("id_number")} AS u_id, {d("phone")} AS u_phone, {d("house")} AS u_house,
                   {d("accept_hours")} AS u_accept, {d("refuse")} AS u_refuse,
                   {d("late")} AS u_late, {d("span")} AS u_span, {d("stuck")} AS u_stuck,
                   {d("fate")} AS u_fate, {d("mid_supplement")} AS u_mid,
                   {d("final_hours")} AS u_final, {d("pause")} AS u_pause,
                   {d("pause_hours")} AS u_pause_hours, {d("digitized")} AS u_digitized,
                   {d("reuse")} AS u_reuse,
                   {self._name_sql()} AS full_name
            FROM (
                SELECT n, {d("sex", "n")} < 0.5 AS male
                FROM generate_series(%(n0)s::bigint, %(n1)s::bigint) AS n
            ) g
            JOIN fg_pair p ON p.slot = floor({d("pair")} * {self.pair_slots})::int
            JOIN fg_day dd ON dd.slot = floor({d("day")} * {len(self.receipt_days)})::int
            OFFSET 0
        ), received AS (
            SELECT g.*,
                   CASE WHEN g.t0 > %(now)s
                        THEN %(now)s - (1 + floor(g.u_back * 119)) * interval '1 minute'
                        ELSE g.t0 END AS received_at
            FROM (
                SELECT drawn.*,
                       ((receipt_day + time '07:30') AT TIME ZONE %(tz)s)
                       + floor(u_minute * 570) * interval '1 minute' AS t0
                FROM drawn OFFSET 0
            ) g
        ), channelled AS (
            SELECT g.*,
                   CASE WHEN g.u_channel < CASE WHEN g.online_full THEN 0.60 ELSE 0.25 END
                        THEN 'online' WHEN g.u_channel < 0.95 THEN 'direct' ELSE 'postal'
                   END AS channel,
                   (g.received_at AT TIME ZONE %(tz)s)::date AS local_day
            FROM received g OFFSET 0
        ), accepted AS (
            SELECT g.*,
                   CASE WHEN g.channel <> 'online' THEN 'accepted'
                        WHEN g.check_at > %(now)s THEN 'waiting'
                        WHEN g.u_refuse < 0.03 THEN 'refused'
                        ELSE 'accepted' END AS fate_of_intake
            FROM (
                SELECT channelled.*,
                       CASE WHEN channel = 'online'
                            THEN received_at + (0.5 + 19.5 * u_accept) * interval '1 hour'
                            ELSE received_at END AS check_at
                FROM channelled OFFSET 0
            ) g
        ), dated AS (
            SELECT g.*,
                   {self._closing("g.start_rank + " + days[0])} AS intake_due_at,
                   {self._closing("g.start_rank + " + days[1])} AS appraisal_due_at,
                   {self._closing("g.start_rank + " + days[2])} AS approval_due_at,
                   {self._closing("g.start_rank + " + days[3])} AS signing_due_at,
                   {self._closing("g.start_rank + " + days[4])} AS delivery_due_at,
                   {self._closing("g.start_rank + g.total")} AS due_at
            FROM (SELECT accepted.*, {
            self._eff_rank("check_at")
        } AS start_rank FROM accepted OFFSET 0) g
        ), spanned AS (
            SELECT g.*,
                   CASE WHEN g.fate_of_intake <> 'accepted' THEN 0
                        WHEN g.finish_at <= %(now)s AND NOT g.stuck THEN 5
                        ELSE least(5, floor(5 * greatest(0,
                            extract(epoch FROM %(now)s - g.check_at) / nullif(g.span_seconds, 0))
                            * CASE WHEN g.stuck THEN 0.3 ELSE 1 END))::int
                   END AS reached,
                   least(g.finish_at, %(now)s) AS events_end
            FROM (
                SELECT dated.*,
                       extract(epoch FROM due_at - check_at) * CASE WHEN u_late < 0.12
                           THEN 1.05 + 1.45 * u_span ELSE 0.15 + 0.83 * u_span END
                           AS span_seconds,
                       check_at + extract(epoch FROM due_at - check_at) * CASE WHEN u_late < 0.12
                           THEN 1.05 + 1.45 * u_span ELSE 0.15 + 0.83 * u_span END
                           * interval '1 second' AS finish_at,
                       u_stuck < 0.01 AS stuck
                FROM dated OFFSET 0
            ) g
        ), ended AS (
            SELECT g.*,
                   CASE WHEN g.fate_of_intake <> 'accepted' THEN NULL
                        WHEN g.u_fate < 0.02 AND g.reached >= 1 THEN 'rejected'
                        WHEN g.u_fate < 0.04 THEN 'withdrawn' END AS final,
                   CASE WHEN g.fate_of_intake <> 'accepted' THEN 0
                        WHEN g.u_fate < 0.02 AND g.reached >= 1 THEN 1
                        WHEN g.u_fate < 0.04 THEN least(g.reached, 2)
                        ELSE g.reached END AS steps
            FROM spanned g OFFSET 0
        ), stepped AS (
            SELECT g.*,
                   g.u_mid < 0.05 AND g.steps >= 2 AS mid_supplement,
                   (ARRAY['intake', 'appraisal', 'approval', 'signing', 'delivery',
                          'completed'])[g.steps + 1] AS step_state,
                   {
            ", ".join(
                f"CASE WHEN g.steps >= {i} THEN g.check_at + (g.events_end - g.check_at)"
                f" * ({i}::float8 / CASE WHEN g.steps = 5 THEN 5 ELSE g.steps + 1 END)"
                f" END AS m{i}"
                for i in range(1, 6)
            )
        }
            FROM ended g OFFSET 0
        ), moved AS (
            SELECT g.*,
                   coalesce(g.m5, g.m4, g.m3, g.m2, g.m1, g.check_at) AS last_step_at,
                   g.m1 + (g.m2 - g.m1) * 0.5 AS mid_pause_at
            FROM stepped g OFFSET 0
        ), closed AS (
            SELECT g.*,
                   least(%(now)s, g.last_step_at + (1 + 29 * g.u_final) * interval '1 hour')
                       AS final_at,
                   g.fate_of_intake = 'accepted' AND g.final IS NULL
                       AND g.step_state IN ('intake', 'appraisal') AND g.u_pause < 0.05
                       AS end_pause,
                   least(%(now)s, g.last_step_at + (1 + 47 * g.u_pause_hours) * interval '1 hour')
                       AS pause_at
            FROM moved g OFFSET 0
        ), finished AS (
            SELECT g.*,
                   CASE g.fate_of_intake WHEN 'waiting' THEN 'submitted'
                        WHEN 'refused' THEN 'refused'
                        ELSE CASE WHEN g.end_pause THEN 'supplement'
                                  ELSE coalesce(g.final, g.step_state) END
                   END AS state,
                   CASE WHEN g.end_pause THEN g.step_state
                        WHEN g.mid_supplement THEN 'appraisal' ELSE '' END
                       AS state_before_supplement
            FROM closed g OFFSET 0
        )
        SELECT g.n, %(first_id)s::bigint + g.n AS id,
               g.unit_id, g.procedure_id, g.unit_code, g.unit_name, g.clerk, g.specialist,
               g.approver, g.issues_result, g.channel, g.full_name, g.received_at, g.local_day,
               coalesce(s.last_number, 0) + row_number() OVER (
                   PARTITION BY g.unit_id, g.local_day ORDER BY g.n) AS number,
               '022' || lpad(floor(g.u_id * 1e9)::bigint::text, 9, '0') AS id_number,
               '09' || lpad(floor(g.u_phone * 1e8)::bigint::text, 8, '0') AS phone,
               'Số ' || (1 + floor(g.u_house * 500))::int || ', ' || g.unit_name AS address,
               g.fate_of_intake, g.check_at, g.state, g.state_before_supplement,
               g.fate_of_intake = 'accepted' AS is_accepted,
               g.intake_due_at, g.appraisal_due_at, g.approval_due_at, g.signing_due_at,
               g.delivery_due_at, g.due_at, g.steps, g.m1, g.m2, g.m3, g.m4, g.m5,
               g.mid_supplement, g.mid_pause_at,
               g.mid_pause_at + (g.m2 - g.mid_pause_at) * 0.5 AS mid_resume_at,
               g.final, g.final_at, g.step_state, g.end_pause, g.pause_at,
               CASE WHEN g.end_pause
                    THEN g.start_rank + g.total - ({self._eff_rank("g.pause_at")})
               END AS working_days_left,
               CASE g.fate_of_intake WHEN 'waiting' THEN g.received_at
                    WHEN 'refused' THEN g.check_at
                    ELSE CASE WHEN g.end_pause THEN g.pause_at
                              WHEN g.final IS NOT NULL THEN g.final_at
                              ELSE g.last_step_at END
               END AS updated_at,
               CASE g.state WHEN 'submitted' THEN NULL
                    WHEN 'appraisal' THEN g.specialist WHEN 'rejected' THEN g.specialist
                    WHEN 'approval' THEN g.approver WHEN 'signing' THEN g.approver
                    ELSE g.clerk END AS handler_id,
               (g.state NOT IN ('submitted', 'intake', 'supplement', 'refused')
                OR g.u_digitized < 0.5 OR g.state_before_supplement = 'appraisal') AS digitized,
               g.u_reuse < 0.85 AS reuse
        FROM finished g
        LEFT JOIN {SEQUENCE} s ON s.unit_id = g.unit_id AND s.day = g.local_day
        ORDER BY g.n
        """

    DOSSIER_SQL = f"""
        INSERT INTO {DOSSIER} (
            id, code, procedure_id, unit_id, channel, applicant_full_name, applicant_id_number,
            applicant_phone, applicant_email, applicant_address, state, state_before_supplement,
            received_at, accepted_at, due_at, intake_due_at, appraisal_due_at, approval_due_at,
            signing_due_at, delivery_due_at, completed_at, paused_at, working_days_left,
            supplement_count, appraisal_opinion, decision_reason, result_file_id,
            result_signed_at, result_signed_by_id, updated_at, version, created_by_id,
            handler_id, overdue_step
        )
        SELECT g.id,
               g.unit_code || '-' || to_char(g.local_day, 'YYMMDD') || '-'
                   || lpad(g.number::text, greatest(4, length(g.number::text)), '0'),
               g.procedure_id, g.unit_id, g.channel, g.full_name, g.id_number, g.phone, '',
               g.address, g.state, g.state_before_supplement, g.received_at,
               CASE WHEN g.is_accepted THEN g.check_at END,
               CASE WHEN g.is_accepted THEN g.due_at END,
               CASE WHEN g.is_accepted THEN g.intake_due_at END,
               CASE WHEN g.is_accepted THEN g.appraisal_due_at END,
               CASE WHEN g.is_accepted THEN g.approval_due_at END,
               CASE WHEN g.is_accepted THEN g.signing_due_at END,
               CASE WHEN g.is_accepted THEN g.delivery_due_at END,
               CASE WHEN g.state = 'refused' THEN g.check_at
                    WHEN g.state = 'completed' THEN g.m5
                    WHEN g.state IN ('rejected', 'withdrawn') THEN g.final_at END,
               CASE WHEN g.end_pause THEN g.pause_at END,
               g.working_days_left,
               g.mid_supplement::int + g.end_pause::int,
               CASE WHEN g.steps >= 2 THEN 'Đủ điều kiện' ELSE '' END,
               CASE g.state WHEN 'refused' THEN 'Không thuộc thẩm quyền'
                    WHEN 'rejected' THEN 'Không đủ điều kiện'
                    WHEN 'withdrawn' THEN 'Công dân rút hồ sơ' ELSE '' END,
               CASE WHEN g.steps >= 4 AND g.issues_result THEN %(file)s::bigint END,
               CASE WHEN g.steps >= 4 THEN g.m4 END,
               CASE WHEN g.steps >= 4 THEN g.approver END,
               g.updated_at,
               -- raised by each logged change after the creation (the result's attachment too)
               1 + (g.channel = 'online' AND g.fate_of_intake <> 'waiting')::int + g.steps
                 + 2 * g.mid_supplement::int + (g.final IS NOT NULL)::int
                 + g.end_pause::int + (g.steps >= 4 AND g.issues_result)::int,
               g.clerk, g.handler_id, ''
        FROM fg_gen g
    """

    def _component_sql(self) -> str:
        optional = self._component_draw(0)
        reused = self._component_draw(1)
        store = self._component_draw(2)
        return f"""
        INSERT INTO {COMPONENT} (
            id, dossier_id, procedure_component_id, name, required, position, status, file_id,
            reused_from, digitized_at, digitized_by_id
        )
        SELECT %(first_id)s::bigint + row_number() OVER (), x.dossier_id, x.component_id,
               x.name, x.required, x.position,
               CASE WHEN x.reused THEN 'reused' WHEN x.done THEN 'scanned' ELSE 'pending' END,
               CASE WHEN x.done AND NOT x.reused THEN %(file)s::bigint END,
               CASE WHEN x.reused
                    THEN 'KHO-' || lpad(floor(x.u_store * 1e8)::bigint::text, 8, '0')
                    ELSE '' END,
               CASE WHEN x.done THEN x.digitized_at END,
               CASE WHEN x.done THEN x.clerk END
        FROM (
            SELECT y.*, y.done AND y.reuse AND y.u_reused < 0.6 AS reused
            FROM (
                SELECT g.id AS dossier_id, c.component_id, c.name, c.required, c.position,
                       g.digitized AND (c.required OR {optional} < 0.8) AND g.state <> 'refused'
                           AS done,
                       g.reuse, {reused} AS u_reused, {store} AS u_store,
                       coalesce(CASE WHEN g.is_accepted THEN g.check_at END, g.received_at)
                           AS digitized_at,
                       g.clerk
                FROM fg_gen g
                CROSS JOIN LATERAL (
                    SELECT * FROM fg_component c
                    WHERE c.procedure_id = g.procedure_id ORDER BY c.k
                ) c
            ) y
        ) x
        """

    LOG_SQL = f"""
        INSERT INTO {LOG} (
            id, dossier_id, action, source_state, target_state, actor_id, at, note, payload
        )
        SELECT %(first_id)s::bigint + row_number() OVER (), g.id, e.action, e.source, e.target,
               e.actor, e.at, '', e.payload
        FROM fg_gen g
        CROSS JOIN LATERAL (VALUES
            (true, 'create', '',
             CASE WHEN g.channel = 'online' THEN 'submitted' ELSE 'intake' END,
             g.clerk, g.received_at, '{{}}'::jsonb),
            (g.fate_of_intake = 'refused', 'refuse', 'submitted', 'refused', g.clerk, g.check_at,
             '{{"reason": "Không thuộc thẩm quyền"}}'),
            (g.is_accepted AND g.channel = 'online', 'accept', 'submitted', 'intake', g.clerk,
             g.check_at, '{{}}'),
            (g.steps >= 1, 'forward', 'intake', 'appraisal', g.clerk, g.m1, '{{}}'),
            (g.mid_supplement, 'request_supplement', 'appraisal', 'supplement', g.specialist,
             g.mid_pause_at, '{{"reason": "Thiếu giấy tờ"}}'),
            (g.mid_supplement, 'resume', 'supplement', 'appraisal', g.specialist,
             g.mid_resume_at, '{{}}'),
            (g.steps >= 2, 'propose', 'appraisal', 'approval', g.specialist, g.m2,
             '{{"opinion": "Đủ điều kiện"}}'),
            (g.steps >= 3, 'approve', 'approval', 'signing', g.approver, g.m3, '{{}}'),
            (g.steps >= 4 AND g.issues_result, 'attach_result', 'signing', 'signing',
             g.approver, g.m3 + (g.m4 - g.m3) * 0.5,
             jsonb_build_object('result_file', %(file)s::bigint)),
            (g.steps >= 4, 'sign', 'signing', 'delivery', g.approver, g.m4,
             CASE WHEN g.issues_result
                  THEN jsonb_build_object('result_file', %(file)s::bigint)
                  ELSE '{{}}' END),
            (g.steps >= 5, 'deliver', 'delivery', 'completed', g.clerk, g.m5, '{{}}'),
            (g.final IS NOT NULL, CASE g.final WHEN 'rejected' THEN 'reject' ELSE 'withdraw' END,
             g.step_state, g.final,
             CASE g.final WHEN 'rejected' THEN g.specialist ELSE g.clerk END, g.final_at,
             CASE g.final WHEN 'rejected' THEN '{{"reason": "Không đủ điều kiện"}}'::jsonb
                  ELSE '{{"reason": "Công dân rút hồ sơ"}}' END),
            (g.end_pause, 'request_supplement', g.step_state, 'supplement',
             CASE g.step_state WHEN 'appraisal' THEN g.specialist ELSE g.clerk END, g.pause_at,
             '{{"reason": "Thiếu giấy tờ"}}')
        ) AS e(present, action, source, target, actor, at, payload)
        WHERE e.present
    """

    SEQUENCE_SQL = f"""
        INSERT INTO {SEQUENCE} (unit_id, day, last_number)
        SELECT unit_id, local_day, max(number) FROM fg_gen GROUP BY unit_id, local_day
        ON CONFLICT (unit_id, day) DO UPDATE
        SET last_number = GREATEST({SEQUENCE}.last_number, excluded.last_number)
    """

    # --- the run -------------------------------------------------------------------------

    def _params(self, **extra) -> dict:
        return {
            "now": self.now,
            "tz": str(self.calendar.tz),
            "closes_at": self.calendar.closes_at,
            "cal_start": self.cal_start,
            "ranks": self.ranks,
            "working": self.working,
            "closes": self.closes,
            "rank_base": self.rank_base,
            "file": self.placeholder,
            **self.name_params,
            **extra,
        }

    def run(self, count: int, chunk_size: int, progress: Callable[[int], None] | None) -> dict:
        self._prepare_calendar()
        phases = Phases()
        with transaction.atomic(), connection.cursor() as cursor:
            phases.watch(cursor)
            with phases("prepare"):
                try:
                    with transaction.atomic():  # refused once the session used a temp table
                        cursor.execute("SET LOCAL temp_buffers = '1GB'")
                except DatabaseError:
                    pass
                cursor.execute(
                    "SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '256MB';"
                    " SET LOCAL maintenance_work_mem = '1GB'; SET LOCAL jit = off;"
                    " SET LOCAL max_parallel_maintenance_workers = 1"
                )
                cursor.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")
                self._disable_foreign_key_checks(cursor)
                self._create_small_tables(cursor)
                existing = self._count(cursor, DOSSIER)
                dropped = self._drop_secondary_indexes(cursor) if count >= existing else []
                first_ids = {table: self._reserve_ids(cursor, table) for table in TABLES}
                gen_sql = self._gen_sql()
                component_sql = self._component_sql()
            made = 0
            while made < count:
                size = min(chunk_size, count - made)
                params = self._params(n0=made + 1, n1=made + size, first_id=first_ids[DOSSIER] - 1)
                with phases("compute"):
                    cursor.execute(gen_sql, params)
                with phases("dossiers"):
                    cursor.execute(self.DOSSIER_SQL, params)
                    cursor.execute(self.SEQUENCE_SQL)
                with phases("components"):
                    cursor.execute(component_sql, self._params(first_id=first_ids[COMPONENT] - 1))
                    first_ids[COMPONENT] += cursor.rowcount
                if self.with_history:
                    with phases("log"):
                        cursor.execute(self.LOG_SQL, self._params(first_id=first_ids[LOG] - 1))
                        first_ids[LOG] += cursor.rowcount
                cursor.execute("DROP TABLE fg_gen")
                made += size
                if progress:
                    progress(made)
            first_ids[DOSSIER] += made
            with phases("indexes"):
                for table in TABLES:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                        [table, first_ids[table]],
                    )
                self._restore_indexes(cursor, dropped)
            cursor.execute(
                "DROP TABLE fg_pair, fg_day, fg_component;"
                " SET LOCAL session_replication_role = DEFAULT"
            )
        with connection.cursor() as cursor, phases("analyze"):
            for table in (*TABLES, SEQUENCE):
                cursor.execute(f"ANALYZE {table}")
        return phases.seconds

    @staticmethod
    def _count(cursor, table: str) -> int:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]

    @staticmethod
    def _reserve_ids(cursor, table: str) -> int:
        """The first id of this run; the sequence is moved past the run's ids at the end (the
        tables are locked meanwhile, so no other insert takes one)."""
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT greatest((SELECT coalesce(max(id), 0) FROM {table}),"
            f" (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
            f" FROM {sequence})) + 1"
        )
        return cursor.fetchone()[0]

    @staticmethod
    def _disable_foreign_key_checks(cursor) -> None:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")

    @staticmethod
    def _drop_secondary_indexes(cursor) -> list[tuple[str, str]]:
        """Drop every index of the three tables but the primary keys other tables' foreign keys
        use (the dossier's); return how to rebuild them (constraints by ALTER TABLE, the others
        by their CREATE INDEX), primary keys first."""
        cursor.execute(
            """
            SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,
                   pg_get_indexdef(i.indexrelid), c.conname, pg_get_constraintdef(c.oid)
            FROM pg_index i
            LEFT JOIN pg_constraint c
                ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                AND c.contype IN ('p', 'u', 'x')
            WHERE i.indrelid = ANY(%s::regclass[])
              AND NOT (i.indisprimary AND EXISTS (
                  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid
              ))
            ORDER BY i.indisprimary DESC, 1, 2
            """,
            [list(TABLES)],
        )
        rebuild = []
        for table, index, index_sql, constraint, constraint_sql in cursor.fetchall():
            if constraint:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                rebuild.append(
                    (index, f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraint_sql}')
                )
            else:
                cursor.execute(f"DROP INDEX {index}")
                # a partitioned table's index is spelt ON ONLY: rebuild it on every partition
                rebuild.append((index, index_sql.replace(" ON ONLY ", " ON ", 1)))
        return rebuild

    def _restore_indexes(self, cursor, dropped) -> None:
        for index, sql in dropped:
            started = clock.perf_counter()
            cursor.execute(sql)
            self.index_seconds[index] = clock.perf_counter() - started


def generate_dossiers_fast(
    *,
    count: int,
    days: int = 365,
    seed: int = 1,
    chunk_size: int = 1_000_000,
    with_history: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict[str, float]:
    """Generate `count` dossiers in SQL; returns the seconds spent per phase."""
    generator = FastGenerator(seed=seed, days=days, with_history=with_history)
    return generator.run(count, chunk_size, progress)
