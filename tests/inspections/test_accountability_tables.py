"""The accountability reports read from the tables the metrics runs keep give what the former
reports computed from the whole log (tests/inspections/accountability_oracle.py, the module as
it was), over random logs: before any run (every dossier read from the log), after the first
run, with dossiers changed since (corrected from the log), after an incremental run, and after a
full metrics run, which catches the tables up to what rebuilding them gives."""

from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitization.metrics import recompute_metrics, refresh_accountability, refresh_metrics
from inspections import accountability
from inspections.models import (
    AccountabilityFacts,
    AccountabilityHolding,
    StaffDayAccountability,
    UnitDayAccountability,
)
from inspections.selectors import accountability_scope
from procedures.models import Dossier, DossierTransition
from tests.dossiers import new_dossier
from tests.inspections import accountability_oracle as oracle
from tests.inspections.conftest import TZ

pytestmark = pytest.mark.django_db(transaction=False)

FIRST = date(2025, 3, 1)
NOW = datetime(2025, 3, 20, 12, 0, tzinfo=TZ)
STATES = (
    "submitted", "intake", "appraisal", "approval", "signing", "delivery", "completed",
    "supplement", "refused", "rejected", "withdrawn",
)  # fmt: skip
ENDED = ("completed", "refused", "rejected", "withdrawn")
PEOPLE = (None, "clerk", "specialist", "approver")

entries = st.lists(
    st.tuples(
        st.integers(0, 30 * 24),  # hours after receipt, coarse enough for ties
        st.sampled_from(STATES),
        st.sampled_from(PEOPLE),
        st.booleans(),  # the state stays (as attaching the result logs it): no visit begins
    ),
    max_size=6,
)
dossier = st.fixed_dictionaries(
    {
        "day": st.integers(0, 25),
        "other_unit": st.booleans(),
        "entries": entries,
        "state": st.sampled_from(STATES),
        "handler": st.sampled_from(PEOPLE),
        "due": st.one_of(st.none(), st.integers(0, 20 * 24)),
        "completed": st.one_of(st.none(), st.integers(0, 30 * 24)),
    }
)
dossiers = st.lists(dossier, min_size=1, max_size=6)


def received(spec) -> datetime:
    return datetime.combine(FIRST + timedelta(days=spec["day"]), datetime.min.time(), tzinfo=TZ)


def person(world, name):
    return getattr(world, name) if name else None


def build(world, spec) -> Dossier:
    unit = world.other_unit if spec["other_unit"] else world.unit
    made = new_dossier(world, channel="direct", at=received(spec), unit=unit, actor=world.admin)
    return change(world, made, spec)


def change(world, made, spec) -> Dossier:
    """Append the entries of `spec` to the log of `made` (from its receipt on: a dossier has no
    entry before) and give it the columns of `spec`, its times counted from its receipt."""
    start = made.received_at
    accepted = spec["state"] not in ("submitted", "refused")
    ended = spec["state"] in ENDED
    due, completed = spec["due"] if accepted else None, spec["completed"] if ended else None
    if ended and completed is None:
        completed = (due or 0) + 1
    DossierTransition.objects.bulk_create(
        DossierTransition(
            dossier=made,
            action="test",
            source_state=target if stays else "",
            target_state=target,
            actor=person(world, actor),
            at=start + timedelta(hours=hours),
        )
        for hours, target, actor, stays in spec["entries"]
    )
    Dossier.objects.filter(pk=made.pk).update(
        state=spec["state"],
        handler=person(world, spec["handler"]),
        accepted_at=start if accepted else None,
        due_at=None if due is None else start + timedelta(hours=due),
        completed_at=None if completed is None else start + timedelta(hours=completed),
    )
    return Dossier.objects.get(pk=made.pk)


def name(user):
    return user.username if user else None


def staff_rows(rows) -> dict:
    return {name(row.pop("staff")): row for row in rows}


def unit_rows(rows) -> dict:
    return {row.pop("unit").code: row for row in rows}


def assert_same(new: dict, old: dict) -> None:
    """Equal, but for the mean hours, which the old SQLite arithmetic (julianday) rounds with
    floating-point noise: within a rounding step."""
    assert set(new) == set(old)
    for key, row in new.items():
        row, expected = dict(row), dict(old[key])
        mean, old_mean = row.pop("average_hours_at_step"), expected.pop("average_hours_at_step")
        assert row == expected, key
        assert (mean is None) == (old_mean is None), key
        if mean is not None:
            assert abs(mean - old_mean) <= 0.011, key


def check_reports(world) -> None:
    periods = [
        (FIRST, FIRST + timedelta(days=40)),
        (FIRST + timedelta(days=5), FIRST + timedelta(days=12)),
    ]
    for user in (world.admin, world.inspector):
        for first_day, last_day in periods:
            scope = accountability_scope(user, unit=None, first_day=first_day, last_day=last_day)
            args = {"dossiers": scope.dossiers, "findings": scope.findings, "now": NOW}
            assert_same(
                staff_rows(accountability.staff_report(scope=scope, now=NOW)),
                staff_rows(oracle.staff_report(**args)),
            )
            assert_same(
                unit_rows(accountability.unit_report(scope=scope, now=NOW)),
                unit_rows(oracle.unit_report(**args)),
            )
            late = {
                d.code: (d.late_state, d.late_holder)
                for d in accountability.late_dossiers(scope.dossiers, NOW)
            }
            assert late == {
                d.code: (d.late_state, d.late_holder)
                for d in oracle.late_dossiers(scope.dossiers, NOW)
            }


def tables() -> dict:
    def rows(model, *order):
        return sorted(
            (tuple(v for k, v in row.items() if k != "id") for row in model.objects.values()),
            key=repr,
        )

    return {
        model.__name__: rows(model)
        for model in (
            AccountabilityFacts,
            AccountabilityHolding,
            UnitDayAccountability,
            StaffDayAccountability,
        )
    }


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=dossiers, changes=dossiers, changed=st.lists(st.integers(0, 8), max_size=5))
def test_reports_from_the_tables_equal_the_reports_from_the_log(
    world, django_settings, before, changes, changed
):
    django_settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    with transaction.atomic():
        built = [build(world, spec) for spec in before]
        check_reports(world)  # nothing counted yet: everything read from the log
        refresh_metrics()  # the first run builds the tables
        check_reports(world)
        # some dossiers move on (new entries, handler, dates), others arrive
        for index, spec in zip(changed, changes, strict=False):
            if index < len(built):
                change(world, built[index], spec)
            else:
                build(world, spec)
        for spec in changes[len(changed) :]:
            build(world, spec)
        check_reports(world)  # the tables, corrected for the changed dossiers
        refresh_metrics()  # the metrics only: the tables still count the changed ones as before
        check_reports(world)
        refresh_accountability()  # the tables catch up
        check_reports(world)
        # one more change, caught up by a full metrics run, which leaves the tables as a full
        # rebuild of the accountability tables does
        change(world, built[0], changes[0])
        recompute_metrics()
        check_reports(world)
        caught_up = tables()
        recompute_metrics(accountability=True)
        assert tables() == caught_up
        check_reports(world)
        transaction.set_rollback(True)


def test_a_report_is_exact_between_runs_for_a_dossier_moved_on(world, django_settings):
    """A dossier counted by a run, then moved to another step and person: the report reads the
    move at once, before the next run."""
    django_settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    spec = {
        "day": 2, "other_unit": False, "state": "appraisal", "handler": "specialist",
        "due": 24, "completed": None, "entries": [(1, "appraisal", "clerk", False)],
    }  # fmt: skip
    made = build(world, spec)
    refresh_metrics()
    refresh_accountability()
    scope = accountability_scope(world.admin, unit=None, first_day=FIRST, last_day=NOW.date())
    rows = staff_rows(accountability.staff_report(scope=scope, now=NOW))
    assert rows["specialist"]["late_by_step"]["appraisal"] == 1
    assert AccountabilityFacts.objects.get(dossier=made).late_holder_id == world.specialist.pk
    change(
        world,
        made,
        {**spec, "handler": "approver", "entries": [(20, "approval", "specialist", False)]},
    )
    rows = staff_rows(accountability.staff_report(scope=scope, now=NOW))
    assert rows["approver"]["late_by_step"]["approval"] == 1
    assert rows["specialist"]["late_at_step"] == 0
    assert rows["specialist"]["dossiers_handled"] == 1  # the appraisal it left


@pytest.fixture
def django_settings(settings):
    """pytest-django's settings fixture, under a name that hypothesis's `settings` leaves free."""
    return settings


def test_the_accountability_rebuild_is_asked_without_a_range():
    with pytest.raises(CommandError):
        call_command("recompute_metrics", "--from", "2025-03-01", "--accountability")


def test_the_metrics_run_leaves_the_tables_to_their_own_run(world, django_settings):
    """The metrics' incremental run keeps its cost: it does not recount the accountability
    tables; refresh_accountability does, for the dossiers changed since their last count."""
    django_settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    spec = {
        "day": 2, "other_unit": False, "state": "appraisal", "handler": "specialist",
        "due": 24, "completed": None, "entries": [(1, "appraisal", "clerk", False)],
    }  # fmt: skip
    made = build(world, spec)
    refresh_metrics()  # the first run builds everything
    assert AccountabilityFacts.objects.get(dossier=made).late_holder_id == world.specialist.pk
    change(
        world,
        made,
        {**spec, "handler": "approver", "entries": [(20, "approval", "specialist", False)]},
    )
    refresh_metrics()
    assert AccountabilityFacts.objects.get(dossier=made).late_holder_id == world.specialist.pk
    result = refresh_accountability()
    assert result.kind == "accountability" and result.dossiers == 1
    assert AccountabilityFacts.objects.get(dossier=made).late_holder_id == world.approver.pk
    assert refresh_accountability().dossiers == 0
