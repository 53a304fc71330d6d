from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from procedures import services
from procedures.calendar import get_calendar
from procedures.models import DossierState
from tests.dossiers import digitize_all, new_dossier
from tests.factories import ProcedureFactory

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
S = DossierState
pytestmark = pytest.mark.django_db


def local(*args):
    return datetime(*args, tzinfo=HCM)


def test_counter_dossier_is_due_at_close_of_the_nth_working_day(world):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    assert dossier.state == S.INTAKE
    assert dossier.accepted_at == local(2025, 3, 3, 9, 0)
    # 10 working days after Monday 3 March 2025
    assert dossier.due_at == local(2025, 3, 17, 17, 0)


def test_online_dossier_has_no_deadline_until_accepted(world):
    dossier = new_dossier(world, channel="online", at=local(2025, 3, 3, 9, 0))
    assert dossier.due_at is None
    dossier = services.accept_dossier(
        dossier=dossier, actor=world.clerk, at=local(2025, 3, 4, 18, 0)
    )
    # accepted after closing on Tuesday: counts from Wednesday 5 March
    assert dossier.due_at == local(2025, 3, 19, 17, 0)


def test_deadline_across_reunification_day_and_the_2025_swap(world):
    procedure = ProcedureFactory(units=[world.unit], processing_days=3)
    dossier = new_dossier(
        world, channel="postal", procedure=procedure, at=local(2025, 4, 25, 10, 0)
    )
    # Sat 26/4 worked; Mon 28, Tue 29 → the 3rd working day is Tue 29 April
    assert dossier.due_at == local(2025, 4, 29, 17, 0)


def test_step_due_times_follow_the_procedure_shares(world):
    # 10 days with shares 10/50/20/10/10 → steps end after 1, 6, 8, 9 and 10 working days
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    assert dossier.intake_due_at == local(2025, 3, 4, 17, 0)
    assert dossier.appraisal_due_at == local(2025, 3, 11, 17, 0)
    assert dossier.approval_due_at == local(2025, 3, 13, 17, 0)
    assert dossier.signing_due_at == local(2025, 3, 14, 17, 0)
    assert dossier.delivery_due_at == dossier.due_at == local(2025, 3, 17, 17, 0)


def test_step_shares_round_up_to_whole_working_days(world):
    procedure = ProcedureFactory(units=[world.unit], processing_days=3)
    dossier = new_dossier(world, channel="direct", procedure=procedure, at=local(2025, 3, 3, 9, 0))
    # 3 days × 10 % = 0.3 → 1; × 60 % = 1.8 → 2; × 80 % = 2.4 → 3
    assert dossier.intake_due_at == local(2025, 3, 4, 17, 0)
    assert dossier.appraisal_due_at == local(2025, 3, 5, 17, 0)
    assert dossier.approval_due_at == local(2025, 3, 6, 17, 0)


def test_supplement_moves_the_due_date_by_exactly_the_paused_working_days(world):
    calendar = get_calendar()
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    digitize_all(world, dossier)
    dossier = services.forward_dossier(
        dossier=dossier, actor=world.clerk, at=local(2025, 3, 4, 9, 0)
    )
    due_before = dossier.due_at

    dossier = services.request_supplement(
        dossier=dossier, actor=world.specialist, reason="Thiếu giấy", at=local(2025, 3, 5, 10, 0)
    )
    assert dossier.state == S.SUPPLEMENT
    assert dossier.working_days_left == 8
    assert dossier.supplement_count == 1
    assert not dossier.is_overdue(now=local(2025, 4, 30, 9, 0))

    dossier = services.resume_dossier(
        dossier=dossier, actor=world.specialist, at=local(2025, 3, 11, 8, 30)
    )
    paused = calendar.working_days_between(
        datetime(2025, 3, 5).date(), datetime(2025, 3, 11).date()
    )
    assert paused == 4
    assert calendar.working_days_between(due_before.date(), dossier.due_at.date()) == paused
    assert dossier.due_at == local(2025, 3, 21, 17, 0)
    assert dossier.working_days_left is None
    assert dossier.paused_at is None


def test_supplement_over_a_holiday_counts_only_working_days(world):
    calendar = get_calendar()
    dossier = new_dossier(world, channel="direct", at=local(2025, 4, 21, 9, 0))
    due_before = dossier.due_at
    dossier = services.request_supplement(
        dossier=dossier, actor=world.clerk, reason="Thiếu giấy", at=local(2025, 4, 28, 9, 0)
    )
    dossier = services.resume_dossier(
        dossier=dossier, actor=world.clerk, at=local(2025, 5, 6, 9, 0)
    )
    # paused Mon 28 April → Tue 6 May: 29/4, 5/5, 6/5 are the working days in between
    assert calendar.working_days_between(due_before.date(), dossier.due_at.date()) == 3


def test_resume_moves_the_current_and_later_step_deadlines_but_not_earlier_ones(world):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    digitize_all(world, dossier)
    dossier = services.forward_dossier(
        dossier=dossier, actor=world.clerk, at=local(2025, 3, 4, 9, 0)
    )
    intake_due, appraisal_due = dossier.intake_due_at, dossier.appraisal_due_at
    dossier = services.request_supplement(
        dossier=dossier, actor=world.specialist, reason="Thiếu", at=local(2025, 3, 5, 10, 0)
    )
    dossier = services.resume_dossier(
        dossier=dossier, actor=world.specialist, at=local(2025, 3, 11, 8, 30)
    )
    assert dossier.intake_due_at == intake_due
    assert dossier.appraisal_due_at == local(2025, 3, 17, 17, 0)
    assert appraisal_due == local(2025, 3, 11, 17, 0)
    assert dossier.delivery_due_at == dossier.due_at


def test_open_dossier_past_due_is_overdue_and_finished_late_stays_overdue(world):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    assert not dossier.is_overdue(now=local(2025, 3, 17, 17, 0))
    assert dossier.is_overdue(now=local(2025, 3, 17, 17, 1))
    dossier = services.withdraw_dossier(
        dossier=dossier, actor=world.clerk, reason="Rút", at=local(2025, 3, 18, 9, 0)
    )
    assert dossier.is_overdue()
