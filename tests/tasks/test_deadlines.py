"""The overdue and due-soon flags, with frozen time."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from procedures import services, tasks
from procedures.models import Dossier, DossierState
from tests.dossiers import act, dossier_in, new_dossier

S = DossierState
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Accepted Monday 2 March 2026 at 09:00; the procedure takes 10 working days (no holidays in
# between), so the dossier is due at 17:00 on Monday 16 March.
ACCEPTED = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
DUE = datetime(2026, 3, 16, 17, 0, tzinfo=TZ)

pytestmark = pytest.mark.django_db


def dossier_at(world, state):
    """A dossier brought to `state` within minutes of ACCEPTED, so its due time is DUE."""
    dossier = dossier_in(
        world, state, at=ACCEPTED - timedelta(minutes=5), step=timedelta(minutes=1)
    )
    if dossier.due_at is not None:
        assert dossier.due_at == DUE
    return dossier


def flag_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return tasks.flag_overdue_dossiers.delay().get()


def test_a_dossier_is_not_flagged_before_its_due_time(world):
    dossier = dossier_at(world, S.APPRAISAL)

    assert flag_at(DUE) == 0
    assert Dossier.objects.get(pk=dossier.pk).overdue_since is None


def test_a_dossier_crossing_its_due_time_is_flagged_when_the_job_runs(world):
    dossier = dossier_at(world, S.APPRAISAL)
    run = DUE + timedelta(minutes=15)

    assert flag_at(run) == 1

    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.overdue_since == run
    assert dossier.overdue_step == S.APPRAISAL


def test_running_the_job_again_changes_nothing(world):
    dossier = dossier_at(world, S.APPRAISAL)
    first = DUE + timedelta(minutes=15)
    flag_at(first)
    before = Dossier.objects.filter(pk=dossier.pk).values().get()

    assert flag_at(first + timedelta(minutes=15)) == 0
    assert flag_at(first + timedelta(days=3)) == 0

    assert Dossier.objects.filter(pk=dossier.pk).values().get() == before
    assert before["overdue_since"] == first


def test_the_step_and_the_staff_member_holding_the_dossier_are_recorded(world):
    intake = dossier_at(world, S.INTAKE)  # accepting gave it to the clerk
    signing = dossier_at(world, S.SIGNING)  # approving kept it with the approver

    flag_at(DUE + timedelta(minutes=1))

    intake, signing = Dossier.objects.get(pk=intake.pk), Dossier.objects.get(pk=signing.pk)
    assert (intake.overdue_step, intake.overdue_handler) == (S.INTAKE, world.clerk)
    assert (signing.overdue_step, signing.overdue_handler) == (S.SIGNING, world.approver)


def test_a_dossier_waiting_in_the_units_queue_records_the_step_and_no_staff_member(world):
    dossier = dossier_at(world, S.APPROVAL)  # proposed without naming an approver
    assert dossier.handler is None

    flag_at(DUE + timedelta(minutes=1))

    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.overdue_step == S.APPROVAL
    assert dossier.overdue_handler is None


@pytest.mark.parametrize(
    "state", [S.SUPPLEMENT, S.COMPLETED, S.REJECTED, S.WITHDRAWN, S.REFUSED, S.SUBMITTED]
)
def test_paused_finished_and_unchecked_dossiers_are_never_flagged(world, state):
    dossier = dossier_at(world, state)

    assert flag_at(DUE + timedelta(days=30)) == 0

    dossier = Dossier.objects.get(pk=dossier.pk)
    assert (dossier.overdue_since, dossier.overdue_step, dossier.overdue_handler) == (
        None,
        "",
        None,
    )


def test_flagging_leaves_the_version_so_a_transition_in_flight_still_succeeds(world):
    dossier = dossier_at(world, S.APPRAISAL)  # the copy a user has open
    flag_at(DUE + timedelta(minutes=1))

    with time_machine.travel(DUE + timedelta(minutes=2), tick=False):
        moved = act(world, dossier, "propose")

    assert moved.state == S.APPROVAL
    saved = Dossier.objects.get(pk=dossier.pk)
    assert saved.version == dossier.version + 1
    assert saved.overdue_since == DUE + timedelta(minutes=1)


def test_a_late_dossier_stays_recorded_as_late_after_it_is_finished(world):
    dossier = dossier_at(world, S.DELIVERY)
    flag_at(DUE + timedelta(minutes=1))

    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        act(world, Dossier.objects.get(pk=dossier.pk), "deliver")

    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.state == S.COMPLETED
    assert dossier.overdue_since == DUE + timedelta(minutes=1)
    assert dossier.overdue_step == S.DELIVERY


def test_flagging_is_one_update_statement(world, django_assert_num_queries):
    for _ in range(3):
        dossier_at(world, S.APPRAISAL)

    with django_assert_num_queries(1) as captured:
        assert services.flag_overdue_dossiers(now=DUE + timedelta(minutes=1)) == 3

    assert captured.captured_queries[0]["sql"].startswith("UPDATE")


# --- due soon ------------------------------------------------------------------------------


def flag_soon_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return tasks.flag_due_soon.delay().get()


def test_a_dossier_due_by_the_close_of_the_next_working_day_is_flagged_due_soon(world):
    dossier = dossier_at(world, S.APPRAISAL)
    friday = datetime(2026, 3, 13, 10, 0, tzinfo=TZ)  # the next working day is Monday, due day

    assert flag_soon_at(friday - timedelta(days=1)) == 0  # Thursday: two working days to go
    assert flag_soon_at(friday) == 1
    assert flag_soon_at(friday + timedelta(hours=1)) == 0

    assert Dossier.objects.get(pk=dossier.pk).due_soon_since == friday


def test_an_overdue_or_paused_dossier_is_not_flagged_due_soon(world):
    late = dossier_at(world, S.APPRAISAL)
    paused = dossier_at(world, S.SUPPLEMENT)
    flag_at(DUE + timedelta(minutes=1))

    assert flag_soon_at(DUE + timedelta(minutes=2)) == 0
    assert flag_soon_at(DUE - timedelta(hours=1)) == 0  # late one already flagged overdue
    assert Dossier.objects.get(pk=late.pk).due_soon_since is None
    assert Dossier.objects.get(pk=paused.pk).due_soon_since is None


def test_resuming_after_a_supplement_clears_the_due_soon_flag_for_the_new_due_date(world):
    dossier = dossier_at(world, S.INTAKE)
    flag_soon_at(datetime(2026, 3, 13, 10, 0, tzinfo=TZ))
    with time_machine.travel(datetime(2026, 3, 13, 11, 0, tzinfo=TZ), tick=False):
        dossier = act(world, Dossier.objects.get(pk=dossier.pk), "request_supplement")
    with time_machine.travel(datetime(2026, 3, 20, 9, 0, tzinfo=TZ), tick=False):
        dossier = act(world, Dossier.objects.get(pk=dossier.pk), "resume")

    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.due_soon_since is None
    assert dossier.due_at == datetime(2026, 3, 23, 17, 0, tzinfo=TZ)  # 1 working day was left


def test_a_new_dossier_does_not_inherit_any_flag(world):
    with time_machine.travel(ACCEPTED, tick=False):
        dossier = new_dossier(world, channel="direct")

    assert (dossier.overdue_since, dossier.due_soon_since, dossier.appointment_at) == (
        None,
        None,
        None,
    )
