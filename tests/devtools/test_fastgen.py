"""generate_dossiers --fast: the set-based generator keeps the Python generator's invariants and
distributions, is repeatable, and leaves the tables (indexes, keys, sequences) as it found them."""

import re
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from devtools.bulk import HOLDER_ROLE
from digitization.models import UnitDayMetrics
from procedures import services
from procedures.calendar import get_calendar
from procedures.models import (
    STEP_DUE_FIELDS,
    DigitizationStatus,
    Dossier,
    DossierComponent,
    DossierSequence,
    DossierTransition,
    Procedure,
    Unit,
)
from procedures.models import DossierState as S
from procedures.models.dossiers import step_due_days
from tests.factories import UserFactory

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
GENERATED_AT = datetime(2026, 11, 27, 5, 30, tzinfo=HCM)  # a Friday before dawn
CODE = re.compile(r"^(?P<unit>[0-9A-Za-z.]+)-(?P<day>\d{6})-(?P<number>\d{4,})$")
COUNT = 2000
TABLES = ("procedures_dossier", "procedures_dossiercomponent", "procedures_dossiertransition")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def run(**options):
    options = {"no_progress": True, "days": 120} | options
    with time_machine.travel(GENERATED_AT, tick=False):
        call_command("generate_dossiers", stdout=None, **options)


@pytest.fixture
def generated(db):
    run(count=COUNT, fast=True)
    return list(Dossier.objects.select_related("unit", "procedure").order_by("id"))


def log_by_dossier():
    entries = {}
    for entry in DossierTransition.objects.order_by("dossier_id", "at", "id"):
        entries.setdefault(entry.dossier_id, []).append(entry)
    return entries


def indexes():
    """Each index of the three tables: name, method, columns, operator classes, expressions,
    predicate (PostgreSQL may spell a rebuilt predicate's casts differently), unique, constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, am.amname, i.indkey::text, i.indclass::text,
                   pg_get_expr(i.indexprs, i.indrelid), i.indpred IS NOT NULL,
                   i.indisunique, i.indisprimary, c.conname
            FROM pg_index i
            JOIN pg_class r ON r.oid = i.indexrelid
            JOIN pg_am am ON am.oid = r.relam
            LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
            WHERE i.indrelid = ANY(%s::regclass[]) ORDER BY 1
            """,
            [list(TABLES)],
        )
        return cursor.fetchall()


# --- codes and sequences -----------------------------------------------------------------------


def test_fast_generation_creates_exactly_the_count_with_unique_codes(generated):
    assert len(generated) == COUNT
    codes = [d.code for d in generated]
    assert len(set(codes)) == COUNT
    wrong = [
        d.code
        for d in generated
        if not CODE.match(d.code)
        or CODE.match(d.code)["unit"] != d.unit.code
        or CODE.match(d.code)["day"] != f"{timezone.localtime(d.received_at, HCM):%y%m%d}"
    ]
    assert wrong == []


def test_fast_numbers_run_from_one_per_unit_and_day_and_sequences_hold_the_last(generated):
    numbers = {}
    for dossier in generated:
        match = CODE.match(dossier.code)
        numbers.setdefault((dossier.unit_id, match["day"]), []).append(int(match["number"]))
    sequences = {
        (s.unit_id, f"{s.day:%y%m%d}"): s.last_number for s in DossierSequence.objects.all()
    }
    for key, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), key
        assert sequences[key] == len(found), key


def test_fast_generation_twice_continues_the_numbers_and_ids(generated):
    run(count=500, fast=True, seed=2)
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == COUNT + 500
    numbers = {}
    for code in codes:
        match = CODE.match(code)
        numbers.setdefault((match["unit"], match["day"]), []).append(int(match["number"]))
    for key, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), key


def test_a_dossier_created_after_fast_generation_takes_fresh_ids_and_the_next_number(generated):
    busiest = Counter(
        (d.unit_id, d.procedure_id, timezone.localdate(d.received_at, HCM)) for d in generated
    ).most_common(1)[0][0]
    unit_id, procedure_id, day = busiest
    same_day = [
        d
        for d in generated
        if d.unit_id == unit_id and timezone.localdate(d.received_at, HCM) == day
    ]
    highest = max(int(CODE.match(d.code)["number"]) for d in same_day)
    last_log = DossierTransition.objects.order_by("-id").values_list("id", flat=True)[0]
    last_component = DossierComponent.objects.order_by("-id").values_list("id", flat=True)[0]
    admin = UserFactory(username="quantri", role="admin", unit=None, is_superuser=True)
    with time_machine.travel(GENERATED_AT, tick=False):
        created = services.create_dossier(
            actor=admin,
            procedure=Procedure.objects.get(pk=procedure_id),
            unit=Unit.objects.get(pk=unit_id),
            channel="direct",
            applicant={"full_name": "Phạm Thị Mai"},
            received_at=max(d.received_at for d in same_day),
        )
    assert created.pk > generated[-1].pk
    assert created.code == f"{same_day[0].unit.code}-{day:%y%m%d}-{highest + 1:04d}"
    assert DossierTransition.objects.get(dossier=created).id > last_log
    assert all(c.id > last_component for c in created.components.all())


# --- states, deadlines, log ------------------------------------------------------------------


def test_every_accepted_fast_dossier_has_the_calendars_due_dates(generated):
    calendar = get_calendar()
    checked = 0
    for d in generated:
        if d.state in (S.SUBMITTED, S.REFUSED):
            assert d.accepted_at is None and d.due_at is None, d.code
            continue
        procedure = d.procedure
        assert d.due_at == calendar.deadline(d.accepted_at, procedure.processing_days), d.code
        steps = step_due_days(procedure.processing_days, procedure.step_shares)
        for field, days in zip(STEP_DUE_FIELDS, steps, strict=True):
            assert getattr(d, field) == calendar.deadline(d.accepted_at, days), (d.code, field)
        checked += 1
    assert checked > COUNT * 0.8


def test_fast_dossiers_paused_for_a_supplement_keep_the_working_days_left(generated):
    calendar = get_calendar()
    paused = [d for d in generated if d.state == S.SUPPLEMENT]
    assert paused
    for d in paused:
        assert d.paused_at is not None
        assert d.working_days_left == calendar.count_working_days(d.paused_at, d.due_at), d.code
        assert d.state_before_supplement in (S.INTAKE, S.APPRAISAL)
    assert all(d.paused_at is None for d in generated if d.state != S.SUPPLEMENT)


def test_fast_log_chains_from_creation_to_the_dossiers_state(generated):
    entries = log_by_dossier()
    assert len(entries) == COUNT
    broken = []
    for d in generated:
        log = entries[d.pk]
        if log[0].action != "create" or log[-1].target_state != d.state:
            broken.append((d.code, "ends", log[-1].target_state, d.state))
        previous = ""
        for entry in log:
            if entry.source_state != previous:
                broken.append((d.code, entry.action, entry.source_state, previous))
            previous = entry.target_state
        if d.updated_at != log[-1].at:
            broken.append((d.code, "updated_at", d.updated_at, log[-1].at))
        if d.version != len(log):
            broken.append((d.code, "version", d.version, len(log)))
        if log[-1].at > GENERATED_AT or log[0].at != d.received_at:
            broken.append((d.code, "times", log[0].at, log[-1].at))
    assert broken == []


def test_fast_results_are_attached_and_logged_before_signing(generated):
    signed = DossierTransition.objects.filter(action="sign", dossier__procedure__issues_result=True)
    attached = DossierTransition.objects.filter(action="attach_result")
    assert attached.count() == signed.count() > 0
    assert not attached.exclude(source_state="signing", target_state="signing").exists()
    for entry in attached.select_related("dossier"):
        assert entry.payload == {"result_file": entry.dossier.result_file_id}
        assert entry.actor_id == entry.dossier.result_signed_by_id
        assert entry.at < signed.get(dossier_id=entry.dossier_id).at


def test_fast_dossiers_have_their_handler_result_and_completion(generated):
    log = log_by_dossier()
    wrong = []
    for d in generated:
        holder = HOLDER_ROLE.get(d.state)
        if d.state in HOLDER_ROLE:
            expected = None if holder is None else (d.unit_id, holder)
            found = None if d.handler is None else (d.handler.unit_id, d.handler.role)
        else:
            expected, found = log[d.pk][-1].actor_id, d.handler_id
        if expected != found:
            wrong.append((d.code, d.state, "handler"))
        if (d.completed_at is not None) != (
            d.state in (S.COMPLETED, S.REFUSED, S.REJECTED, S.WITHDRAWN)
        ):
            wrong.append((d.code, d.state, "completed_at"))
        signed = d.state in (S.DELIVERY, S.COMPLETED)
        if (d.result_signed_at is not None) != signed:
            wrong.append((d.code, d.state, "signed"))
        if signed and (d.result_file_id is not None) != d.procedure.issues_result:
            wrong.append((d.code, d.state, "result"))
    assert wrong == []


def test_fast_dossiers_forwarded_have_their_required_components_digitized(generated):
    forwarded = DossierTransition.objects.filter(action="forward").values("dossier_id")
    assert forwarded.exists()
    pending = DossierComponent.objects.filter(
        dossier_id__in=forwarded, required=True, status=DigitizationStatus.PENDING
    )
    assert list(pending.values_list("dossier__code", flat=True)) == []
    assert (
        not DossierComponent.objects.filter(dossier__state=S.REFUSED)
        .exclude(status=DigitizationStatus.PENDING)
        .exists()
    )
    per_dossier = Counter(DossierComponent.objects.values_list("dossier_id", flat=True))
    for d in generated:
        assert per_dossier[d.pk] == d.procedure.components.count(), d.code


def test_fast_components_are_consistent_with_their_status(generated):
    wrong = (
        DossierComponent.objects.exclude(status=DigitizationStatus.PENDING)
        .filter(digitized_at__isnull=True)
        .count()
    )
    wrong += DossierComponent.objects.filter(
        status=DigitizationStatus.SCANNED, file__isnull=True
    ).count()
    wrong += DossierComponent.objects.filter(
        status=DigitizationStatus.REUSED, reused_from=""
    ).count()
    wrong += DossierComponent.objects.filter(
        status=DigitizationStatus.PENDING, digitized_by__isnull=False
    ).count()
    assert wrong == 0
    assert DossierComponent.objects.filter(status=DigitizationStatus.REUSED).exists()


# --- the tables are left whole -------------------------------------------------------------------


def test_fast_generation_rebuilds_every_index_it_dropped(db):
    before = indexes()
    assert len(before) > 10
    run(count=300, fast=True)
    assert indexes() == before


def test_fast_rows_reference_existing_rows_for_every_foreign_key(generated):
    """The foreign-key triggers are off during the load: check every key by a query."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, a.attname, confrelid::regclass::text, b.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
            """,
            [list(TABLES)],
        )
        keys = cursor.fetchall()
        assert len(keys) >= 10
        for table, column, target, target_column in keys:
            cursor.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS"
                f" (SELECT 1 FROM {target} r WHERE r.{target_column} = t.{column})"
            )
            assert cursor.fetchone()[0] == 0, (table, column)
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


def test_fast_generation_passes_the_load_benchmarks_consistency_check(generated):
    from bench.load import CONSISTENCY

    with connection.cursor() as cursor:
        cursor.execute(CONSISTENCY)
        assert cursor.fetchone() == (COUNT, 0, 0)  # dossiers, wrong state, wrong version


def test_metrics_recompute_and_refresh_run_clean_on_fast_data(generated):
    from digitization.metrics import recompute_metrics, refresh_metrics

    with time_machine.travel(GENERATED_AT, tick=False):
        result = recompute_metrics()
        assert result is not None and result.dossiers == COUNT
        rows = {
            (m.unit_id, m.day): (m.received, m.accepted, m.ended)
            for m in UnitDayMetrics.objects.all()
        }
        refused = sum(1 for d in generated if d.state == S.REFUSED)
        assert refused > 0
        assert sum(received for received, _, _ in rows.values()) == COUNT - refused
        accepted = sum(1 for d in generated if d.accepted_at is not None)
        assert sum(count for _, count, _ in rows.values()) == accepted
        refresh_metrics(now=timezone.now())
        again = {
            (m.unit_id, m.day): (m.received, m.accepted, m.ended)
            for m in UnitDayMetrics.objects.all()
        }
    assert again == rows


# --- repeatability and distributions ------------------------------------------------------------


def snapshot(dossiers):
    return [
        (
            d.code,
            d.state,
            d.channel,
            d.applicant_full_name,
            d.received_at,
            d.due_at,
            d.completed_at,
            d.updated_at,
            d.version,
            tuple((e.action, e.at, e.actor_id) for e in d.transitions.order_by("at", "id")),
            tuple(d.components.order_by("position", "id").values_list("status", "reused_from")),
        )
        for d in dossiers
    ]


def empty_the_tables():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(TABLES)}, procedures_dossiersequence CASCADE")


def test_the_same_seed_gives_the_same_dossiers_and_another_seed_others(db):
    run(count=300, fast=True, seed=7)
    first = snapshot(Dossier.objects.order_by("id"))
    empty_the_tables()
    run(count=300, fast=True, seed=7)
    assert snapshot(Dossier.objects.order_by("id")) == first
    empty_the_tables()
    run(count=300, fast=True, seed=8)
    other = snapshot(Dossier.objects.order_by("id"))
    assert len(other) == 300
    assert sum(a[:4] == b[:4] for a, b in zip(first, other, strict=True)) < 10


def shares(values) -> dict:
    counts = Counter(values)
    total = sum(counts.values())
    return {key: count / total for key, count in counts.items()}


def assert_close(fast: dict, python: dict, tolerance: float):
    for key in set(fast) | set(python):
        assert abs(fast.get(key, 0) - python.get(key, 0)) <= tolerance, (
            key,
            fast.get(key, 0),
            python.get(key, 0),
        )


def test_fast_distributions_match_the_python_generators(db):
    run(count=COUNT, seed=3)
    python = list(Dossier.objects.select_related("procedure"))
    python_log = DossierTransition.objects.count()
    python_components = Counter(DossierComponent.objects.values_list("status", flat=True))
    empty_the_tables()
    run(count=COUNT, fast=True, seed=3)
    fast = list(Dossier.objects.select_related("procedure"))
    fast_log = DossierTransition.objects.count()
    fast_components = Counter(DossierComponent.objects.values_list("status", flat=True))

    assert_close(shares(d.state for d in fast), shares(d.state for d in python), 0.035)
    assert_close(shares(d.channel for d in fast), shares(d.channel for d in python), 0.035)
    assert_close(shares(d.unit_id for d in fast), shares(d.unit_id for d in python), 0.03)
    assert_close(shares(d.procedure_id for d in fast), shares(d.procedure_id for d in python), 0.03)
    assert_close(
        shares(d.applicant_full_name.split()[0] for d in fast),
        shares(d.applicant_full_name.split()[0] for d in python),
        0.04,
    )
    assert_close(
        shares(timezone.localtime(d.received_at, HCM).weekday() for d in fast),
        shares(timezone.localtime(d.received_at, HCM).weekday() for d in python),
        0.035,
    )
    late = {
        name: shares(d.completed_at > d.due_at for d in rows if d.state == S.COMPLETED)
        for name, rows in (("fast", fast), ("python", python))
    }
    assert_close(late["fast"], late["python"], 0.04)
    assert abs(fast_log / python_log - 1) < 0.05
    assert_close(shares(fast_components.elements()), shares(python_components.elements()), 0.04)
    spans = {
        name: sorted((d.received_at for d in rows), reverse=True)[len(rows) // 2]
        for name, rows in (("fast", fast), ("python", python))
    }
    assert abs(spans["fast"] - spans["python"]) < timedelta(days=8)


def test_fast_names_follow_the_family_name_frequencies(generated):
    family = shares(d.applicant_full_name.split()[0] for d in generated)
    assert 0.34 <= family["Nguyễn"] <= 0.43
    assert 0.08 <= family["Trần"] <= 0.14
    assert len({d.applicant_full_name for d in generated}) > COUNT * 0.6
