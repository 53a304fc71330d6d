"""Fast bulk generation of realistic dossiers for benchmarks (generate_dossiers).

Rows are computed in Python and written straight to the tables: COPY on PostgreSQL, batched
INSERTs on SQLite. States, deadlines, components and the transition log are consistent with
what the services would have produced; the services themselves are far too slow for millions.
"""

import enum
import json
import random
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from devtools.names import NamePicker
from digitization.models import DigitizedFile
from procedures.calendar import get_calendar
from procedures.models import (
    STEP_DUE_FIELDS,
    DigitizationStatus,
    Dossier,
    DossierComponent,
    DossierSequence,
    DossierTransition,
    Procedure,
    Role,
    Unit,
    User,
)
from procedures.models import DossierState as S
from procedures.models.dossiers import step_due_days

PROCESSING = (Role.CLERK, Role.SPECIALIST, Role.APPROVER)
# action taken to reach each step state, in order
FORWARD_PATH = [
    ("forward", S.INTAKE, S.APPRAISAL, Role.CLERK),
    ("propose", S.APPRAISAL, S.APPROVAL, Role.SPECIALIST),
    ("approve", S.APPROVAL, S.SIGNING, Role.APPROVER),
    ("sign", S.SIGNING, S.DELIVERY, Role.APPROVER),
    ("deliver", S.DELIVERY, S.COMPLETED, Role.CLERK),
]
HOLDER_ROLE = {
    S.SUBMITTED: None,
    S.INTAKE: Role.CLERK,
    S.APPRAISAL: Role.SPECIALIST,
    S.APPROVAL: Role.APPROVER,
    S.SIGNING: Role.APPROVER,
    S.DELIVERY: Role.CLERK,
    S.SUPPLEMENT: Role.CLERK,
}


class TableWriter:
    """Writes plain dicts (attname → value) of one model; fields left out take their default."""

    def __init__(self, model):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.generated]
        self.table = model._meta.db_table
        self.defaults = {
            f.attname: f.get_default() for f in self.fields if f.attname != "id" and f.has_default()
        }
        self._next_id = None

    def allocate_ids(self, n: int) -> list[int]:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, n],
                )
                return [row[0] for row in cursor.fetchall()]
        if self._next_id is None:
            self._next_id = (self.model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        ids = list(range(self._next_id, self._next_id + n))
        self._next_id += n
        return ids

    def _converters(self) -> list[Callable]:
        """Per field, how to turn a Python value into what the driver takes."""
        if connection.vendor != "postgresql":
            return [lambda v, f=field: f.get_db_prep_save(v, connection) for field in self.fields]

        def plain(value):
            return value.value if isinstance(value, enum.Enum) else value

        def as_json(value):
            return json.dumps(value, ensure_ascii=False)

        return [as_json if isinstance(f, models.JSONField) else plain for f in self.fields]

    def write(self, rows: Iterable[dict]) -> None:
        columns = [f.column for f in self.fields]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        plan = [
            (field.attname, convert, self.defaults.get(field.attname))
            for field, convert in zip(self.fields, self._converters(), strict=True)
        ]
        values = (
            tuple(convert(row.get(name, default)) for name, convert, default in plan)
            for row in rows
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({quoted}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({quoted}) VALUES ({marks})", list(values)
                )


def ensure_handling_units(minimum: int) -> None:
    """Add test communes (with the commune procedures) until `minimum` units handle procedures."""
    handling = Unit.objects.filter(procedures__isnull=False).distinct().count()
    if handling >= minimum:
        return
    parents = list(Unit.objects.filter(block="locality").order_by("code")) or [None]
    commune_procedures = list(Procedure.objects.filter(level="commune")) or list(
        Procedure.objects.all()[:3]
    )
    for n in range(minimum - handling):
        parent = parents[n % len(parents)]
        suffix = parent.code.split(".", 2)[2] if parent else "99.H40"
        unit, _ = Unit.objects.get_or_create(
            code=f"{900 + n // 90:03d}.{10 + n % 90:02d}.{suffix}",
            defaults={"name": f"Xã thử nghiệm {n + 1:03d}", "block": "commune", "parent": parent},
        )
        unit.procedures.add(*commune_procedures)


def ensure_staff(units) -> dict[tuple[int, str], int]:
    """A clerk, specialist and approver per unit (created without a usable password)."""
    existing = {
        (u.unit_id, u.role): u.pk
        for u in User.objects.filter(role__in=PROCESSING, unit__in=units).order_by("-id")
    }
    missing = [
        User(username=f"{role}.{unit.code}", role=role, unit=unit, is_staff=True, password="!")
        for unit in units
        for role in PROCESSING
        if (unit.pk, role) not in existing
    ]
    User.objects.bulk_create(missing, ignore_conflicts=True)
    return {
        (u.unit_id, u.role): u.pk
        for u in User.objects.filter(role__in=PROCESSING, unit__in=units).order_by("id")
    }


def handling_pairs() -> tuple[list[tuple[Unit, Procedure]], list[int]]:
    """Every (active unit, active procedure) it handles, weighted 5 for commune procedures and 2
    for the others: where dossiers are received."""
    procedures = Procedure.objects.filter(active=True).prefetch_related("units", "components")
    pairs, weights = [], []
    for procedure in procedures:
        for unit in procedure.units.all():
            if unit.active:
                pairs.append((unit, procedure))
                weights.append(5 if procedure.level == "commune" else 2)
    if not pairs:
        raise ValueError("No unit handles any procedure: load the catalogue first (seed_demo).")
    return pairs, weights


def placeholder_file() -> int:
    """The stored file every generated scan and result points to."""
    stored, _ = DigitizedFile.objects.get_or_create(
        sha256="0" * 64,
        defaults={
            "file": "digitized/generated-placeholder.pdf",
            "size": 0,
            "content_type": "application/pdf",
            "original_name": "generated-placeholder.pdf",
        },
    )
    return stored.pk


def receipt_days(calendar, today: date, days: int) -> list[date]:
    """The working days of the period dossiers are received in (today if none)."""
    start = today - timedelta(days=days)
    every = [start + timedelta(days=i) for i in range(days + 1)]
    return [d for d in every if calendar.is_working_day(d)] or [today]


class DossierGenerator:
    def __init__(self, *, seed: int, days: int, with_history: bool, now: datetime | None = None):
        self.rng = random.Random(seed)
        self.days = days
        self.with_history = with_history
        self.now = now or timezone.now()
        self.calendar = get_calendar()
        self.today = timezone.localdate(self.now)
        self.pairs, weights = handling_pairs()
        procedures = {p.pk: p for _, p in self.pairs}.values()
        self.names = NamePicker()
        self.cumulative_weights = []
        total = 0
        for weight in weights:
            total += weight
            self.cumulative_weights.append(total)
        self.staff = ensure_staff(sorted({u for u, _ in self.pairs}, key=lambda u: u.pk))
        self.components = {p.pk: list(p.components.all()) for p in procedures}
        self.placeholder_file = placeholder_file()
        self.sequences = {
            (s.unit_id, s.day): s.last_number
            for s in DossierSequence.objects.filter(day__gte=self.today - timedelta(days=days + 1))
        }
        self.working_days = receipt_days(self.calendar, self.today, days)
        self._deadline_cache: dict = {}
        self.dossiers = TableWriter(Dossier)
        self.components_writer = TableWriter(DossierComponent)
        self.log = TableWriter(DossierTransition)

    def _deadlines(self, procedure: Procedure, accepted_at: datetime) -> dict:
        day = self.calendar.effective_day(accepted_at)
        key = (procedure.pk, day)
        found = self._deadline_cache.get(key)
        if found is None:
            total, found = procedure.processing_days, {}
            steps = step_due_days(total, procedure.step_shares)
            for field, step_days in zip(STEP_DUE_FIELDS, steps, strict=True):
                found[field] = self.calendar.closing_time(
                    self.calendar.add_working_days(day, step_days)
                )
            found["due_at"] = self.calendar.closing_time(self.calendar.add_working_days(day, total))
            self._deadline_cache[key] = found
        return found

    def _pick_pair(self):
        point = self.rng.random() * self.cumulative_weights[-1]
        low, high = 0, len(self.cumulative_weights) - 1
        while low < high:
            middle = (low + high) // 2
            if self.cumulative_weights[middle] < point:
                low = middle + 1
            else:
                high = middle
        return self.pairs[low]

    def _between(self, start: datetime, end: datetime, fraction: float) -> datetime:
        return start + (end - start) * fraction

    def generate_batch(self, size: int) -> int:
        rng = self.rng
        ids = self.dossiers.allocate_ids(size)
        dossier_rows, component_rows, log_rows, touched = [], [], [], {}
        for dossier_id in ids:
            unit, procedure = self._pick_pair()
            day = rng.choice(self.working_days)
            received_at = datetime.combine(day, time(7, 30), tzinfo=self.calendar.tz) + timedelta(
                minutes=rng.randrange(570)
            )
            if received_at > self.now:
                received_at = timezone.localtime(self.now, self.calendar.tz) - timedelta(
                    minutes=rng.randrange(1, 120)
                )
            channel = rng.choices(
                ["online", "direct", "postal"],
                weights=[60, 35, 5] if procedure.online_level == "full" else [25, 70, 5],
            )[0]
            number = self.sequences.get((unit.pk, received_at.date()), 0) + 1
            self.sequences[(unit.pk, received_at.date())] = number
            touched[(unit.pk, received_at.date())] = number
            row, components, log = self._dossier(
                dossier_id, unit, procedure, channel, received_at, number
            )
            dossier_rows.append(row)
            component_rows.extend(components)
            log_rows.extend(log)
        component_ids = self.components_writer.allocate_ids(len(component_rows))
        for row, component_id in zip(component_rows, component_ids, strict=True):
            row["id"] = component_id
        if self.with_history:
            for row, log_id in zip(log_rows, self.log.allocate_ids(len(log_rows)), strict=True):
                row["id"] = log_id
        with transaction.atomic():
            self.dossiers.write(dossier_rows)
            self.components_writer.write(component_rows)
            if self.with_history:
                self.log.write(log_rows)
            self._save_sequences(touched)
        return len(dossier_rows)

    def _save_sequences(self, touched: dict) -> None:
        table = DossierSequence._meta.db_table
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (unit_id, day, last_number) VALUES (%s, %s, %s) "
                f"ON CONFLICT (unit_id, day) DO UPDATE SET "
                f"last_number = {greatest}({table}.last_number, excluded.last_number)",
                [(unit_id, day, number) for (unit_id, day), number in touched.items()],
            )

    def _dossier(self, dossier_id, unit, procedure, channel, received_at, number):
        rng, now = self.rng, self.now
        staff = {role: self.staff[(unit.pk, role)] for role in PROCESSING}
        row = {
            "id": dossier_id,
            "code": f"{unit.code}-{received_at:%y%m%d}-{number:04d}",
            "procedure_id": procedure.pk,
            "unit_id": unit.pk,
            "channel": channel,
            "applicant_full_name": self.names.full_name(rng),
            "applicant_id_number": f"022{rng.randrange(10**9):09d}",
            "applicant_phone": f"09{rng.randrange(10**8):08d}",
            "applicant_email": "",
            "applicant_address": f"Số {rng.randint(1, 500)}, {unit.name}",
            "created_by_id": staff[Role.CLERK],
            "received_at": received_at,
            "supplement_count": 0,
            "state_before_supplement": "",
            "appraisal_opinion": "",
            "decision_reason": "",
        }
        log = [
            self._entry(
                dossier_id,
                "create",
                "",
                S.SUBMITTED if channel == "online" else S.INTAKE,
                staff[Role.CLERK],
                received_at,
            )
        ]
        state = S.SUBMITTED if channel == "online" else S.INTAKE

        # online dossiers are checked within a working day; 3 % are refused
        accepted_at = received_at
        if channel == "online":
            accepted_at = received_at + timedelta(hours=rng.uniform(0.5, 20))
            if accepted_at > now:
                return self._finish_row(
                    row, state, staff, log, received_at, unit, procedure, done=False
                )
            if rng.random() < 0.03:
                log.append(
                    self._entry(
                        dossier_id,
                        "refuse",
                        state,
                        S.REFUSED,
                        staff[Role.CLERK],
                        accepted_at,
                        {"reason": "Không thuộc thẩm quyền"},
                    )
                )
                row.update(completed_at=accepted_at, decision_reason="Không thuộc thẩm quyền")
                return self._finish_row(
                    row, S.REFUSED, staff, log, accepted_at, unit, procedure, done=True
                )
            log.append(
                self._entry(dossier_id, "accept", state, S.INTAKE, staff[Role.CLERK], accepted_at)
            )
            state = S.INTAKE
        deadlines = self._deadlines(procedure, accepted_at)
        row.update(deadlines, accepted_at=accepted_at)
        due_at = deadlines["due_at"]

        # How far the dossier got: late ones finish after the due date, slow ones are stuck.
        late = rng.random() < 0.12
        span = (due_at - accepted_at) * (
            rng.uniform(1.05, 2.5) if late else rng.uniform(0.15, 0.98)
        )
        end = accepted_at + span
        stuck = rng.random() < 0.01
        fate = rng.random()
        events_end = min(end, now)
        steps_done = (
            5
            if end <= now and not stuck
            else int(5 * max(0.0, (now - accepted_at) / span) * (0.3 if stuck else 1))
        )
        steps_done = min(steps_done, 5)
        if fate < 0.02 and steps_done >= 1:
            steps_done = 1  # rejected at appraisal
            final = S.REJECTED
        elif fate < 0.04:
            final = S.WITHDRAWN
            steps_done = min(steps_done, 2)
        else:
            final = None
        supplement = rng.random() < 0.05 and steps_done >= 1
        moment = accepted_at
        for index in range(steps_done):
            action, source, target, role = FORWARD_PATH[index]
            previous = moment
            moment = self._between(
                accepted_at, events_end, (index + 1) / (steps_done + (0 if steps_done == 5 else 1))
            )
            if index == 1 and supplement:
                pause = self._between(previous, moment, 0.5)
                log.append(
                    self._entry(
                        dossier_id,
                        "request_supplement",
                        S.APPRAISAL,
                        S.SUPPLEMENT,
                        staff[Role.SPECIALIST],
                        pause,
                        {"reason": "Thiếu giấy tờ"},
                    )
                )
                log.append(
                    self._entry(
                        dossier_id,
                        "resume",
                        S.SUPPLEMENT,
                        S.APPRAISAL,
                        staff[Role.SPECIALIST],
                        self._between(pause, moment, 0.5),
                    )
                )
                row["supplement_count"] = 1
                row["state_before_supplement"] = S.APPRAISAL
            payload = {"opinion": "Đủ điều kiện"} if action == "propose" else {}
            if action == "propose":
                row["appraisal_opinion"] = "Đủ điều kiện"
            if action == "sign":
                row.update(result_signed_at=moment, result_signed_by_id=staff[Role.APPROVER])
                if procedure.issues_result:
                    row["result_file_id"] = self.placeholder_file
                    payload = {"result_file": self.placeholder_file}
                    # the result attached at signing, logged with the state kept
                    log.append(
                        self._entry(
                            dossier_id,
                            "attach_result",
                            S.SIGNING,
                            S.SIGNING,
                            staff[Role.APPROVER],
                            self._between(previous, moment, 0.5),
                            payload,
                        )
                    )
            log.append(
                self._entry(dossier_id, action, source, target, staff[role], moment, payload)
            )
            state = target
        if final is not None and state != S.COMPLETED:
            actor = staff[Role.SPECIALIST] if final == S.REJECTED else staff[Role.CLERK]
            reason = "Không đủ điều kiện" if final == S.REJECTED else "Công dân rút hồ sơ"
            moment = min(now, moment + timedelta(hours=rng.uniform(1, 30)))
            log.append(
                self._entry(
                    dossier_id,
                    "reject" if final == S.REJECTED else "withdraw",
                    state,
                    final,
                    actor,
                    moment,
                    {"reason": reason},
                )
            )
            row.update(decision_reason=reason)
            state = final
        if state in (S.COMPLETED, S.REJECTED, S.WITHDRAWN):
            row["completed_at"] = moment
        elif state in (S.INTAKE, S.APPRAISAL) and rng.random() < 0.05:
            pause = min(now, moment + timedelta(hours=rng.uniform(1, 48)))
            log.append(
                self._entry(
                    dossier_id,
                    "request_supplement",
                    state,
                    S.SUPPLEMENT,
                    staff[HOLDER_ROLE[state]],
                    pause,
                    {"reason": "Thiếu giấy tờ"},
                )
            )
            row.update(
                state_before_supplement=state,
                supplement_count=row["supplement_count"] + 1,
                paused_at=pause,
                working_days_left=self.calendar.count_working_days(pause, due_at),
            )
            state, moment = S.SUPPLEMENT, pause
        return self._finish_row(
            row, state, staff, log, moment, unit, procedure, done=state not in HOLDER_ROLE
        )

    def _finish_row(self, row, state, staff, log, last_event, unit, procedure, *, done):
        rng = self.rng
        row["state"] = state
        # raised by each logged change after the creation (attaching the result included)
        row["version"] = len(log)
        holder = HOLDER_ROLE.get(state)
        row["handler_id"] = log[-1]["actor_id"] if done else (staff[holder] if holder else None)
        row["updated_at"] = last_event
        digitized = (
            state not in (S.SUBMITTED, S.INTAKE, S.SUPPLEMENT, S.REFUSED)
            or rng.random() < 0.5
            or row["state_before_supplement"] == S.APPRAISAL  # forwarded before the pause
        )
        reuse = rng.random() < 0.85
        components = []
        for component in self.components[procedure.pk]:
            is_digitized = (
                digitized and (component.required or rng.random() < 0.8)
            ) and state != S.REFUSED
            reused = is_digitized and reuse and rng.random() < 0.6
            components.append(
                {
                    "dossier_id": row["id"],
                    "procedure_component_id": component.pk,
                    "name": component.name,
                    "required": component.required,
                    "position": component.position,
                    "status": (DigitizationStatus.REUSED if reused else DigitizationStatus.SCANNED)
                    if is_digitized
                    else DigitizationStatus.PENDING,
                    "file_id": self.placeholder_file if is_digitized and not reused else None,
                    "reused_from": f"KHO-{rng.randrange(10**8):08d}" if reused else "",
                    "digitized_at": row.get("accepted_at") or row["received_at"]
                    if is_digitized
                    else None,
                    "digitized_by_id": staff[Role.CLERK] if is_digitized else None,
                }
            )
        return row, components, log if self.with_history else []

    @staticmethod
    def _entry(dossier_id, action, source, target, actor_id, at, payload=None):
        return {
            "dossier_id": dossier_id,
            "action": action,
            "source_state": source,
            "target_state": target,
            "actor_id": actor_id,
            "at": at,
            "note": "",
            "payload": payload or {},
        }


def generate_dossiers(
    *,
    count: int,
    days: int = 365,
    seed: int = 1,
    batch_size: int = 5000,
    with_history: bool = True,
    progress: Callable[[int], None] | None = None,
) -> int:
    generator = DossierGenerator(seed=seed, days=days, with_history=with_history)
    made = 0
    while made < count:
        made += generator.generate_batch(min(batch_size, count - made))
        if progress:
            progress(made)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Dossier, DossierComponent, DossierTransition, DossierSequence):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return made
