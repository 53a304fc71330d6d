"""Lateness is pinned to the step and person holding the dossier when its due date passed, read
from the transition log; figures per staff member and unit. Timelines are built with `at=`."""

from datetime import date, timedelta

import pytest

from digitization.metrics import refresh_accountability, refresh_metrics
from digitization.services import attach_result
from inspections import accountability, services
from inspections.models import AccountabilityFacts
from inspections.selectors import accountability_scope
from procedures import services as dossier_services
from tests.dossiers import act, digitize_all, new_dossier
from tests.factories import UserFactory, pdf_upload
from tests.inspections.conftest import local

pytestmark = pytest.mark.django_db

NOW = local(2025, 4, 1, 9, 0)
MARCH = {"first_day": date(2025, 3, 1), "last_day": date(2025, 3, 31)}


def counter_dossier(world, at):
    """A dossier received at the counter (in step 1 at once) and digitized half an hour later."""
    dossier = new_dossier(world, channel="direct", at=at)
    digitize_all(world, dossier, at=at + timedelta(minutes=30))
    return dossier


def other_units_dossier(world, at):
    return new_dossier(
        world, channel="direct", at=at, unit=world.other_unit, actor=world.other_clerk
    )


def forward(world, dossier, at, assignee="specialist"):
    return dossier_services.forward_dossier(
        dossier=dossier,
        actor=world.clerk,
        assignee=getattr(world, assignee) if assignee else None,
        at=at,
    )


def propose(world, dossier, at, actor=None):
    return dossier_services.propose_decision(
        dossier=dossier,
        actor=actor or world.specialist,
        opinion="Đủ điều kiện",
        assignee=world.approver,
        at=at,
    )


def late_rows(world, user=None, unit=None):
    dossiers = accountability_scope(user or world.inspector, unit=unit, **MARCH).dossiers
    return {
        d.code: (d.late_state, d.late_holder) for d in accountability.late_dossiers(dossiers, NOW)
    }


@pytest.fixture
def approver_2(world):
    return UserFactory(username="approver-2", role="approver", unit=world.unit)


def test_a_dossier_finished_late_is_pinned_on_the_step_and_person_it_left_late(world):
    dossier = counter_dossier(world, local(2025, 3, 3, 9, 0))
    dossier = forward(world, dossier, local(2025, 3, 3, 11, 0))
    assert dossier.due_at == local(2025, 3, 17, 17, 0)
    propose(world, dossier, local(2025, 3, 18, 10, 0))  # a day after the due date
    assert late_rows(world) == {dossier.code: ("appraisal", "specialist")}


def test_a_dossier_still_held_past_its_due_date_is_pinned_on_its_current_handler(world):
    dossier = counter_dossier(world, local(2025, 3, 3, 9, 0))
    dossier = forward(world, dossier, local(2025, 3, 3, 11, 0))
    propose(world, dossier, local(2025, 3, 4, 9, 0))  # handed to world.approver
    assert late_rows(world) == {dossier.code: ("approval", "approver")}


def test_the_person_is_who_moved_it_out_of_the_step_not_who_it_was_assigned_to(world, approver_2):
    dossier = counter_dossier(world, local(2025, 3, 3, 9, 0))
    dossier = forward(world, dossier, local(2025, 3, 3, 11, 0))
    dossier = propose(world, dossier, local(2025, 3, 4, 9, 0))  # assigned to world.approver
    dossier_services.approve_dossier(dossier=dossier, actor=approver_2, at=local(2025, 3, 20, 9, 0))
    assert late_rows(world) == {dossier.code: ("approval", "approver-2")}


def test_an_entry_exactly_at_the_due_date_decides_the_state_at_that_moment(world):
    dossier = counter_dossier(world, local(2025, 3, 3, 9, 0))
    dossier = forward(world, dossier, local(2025, 3, 3, 11, 0))
    dossier = propose(world, dossier, dossier.due_at)  # proposed at 17:00 sharp
    assert late_rows(world) == {dossier.code: ("approval", "approver")}


def test_lateness_of_an_unassigned_dossier_is_pinned_on_the_step_and_nobody(world):
    dossier = counter_dossier(world, local(2025, 3, 3, 9, 0))
    forward(world, dossier, local(2025, 3, 3, 11, 0), assignee=None)
    assert late_rows(world) == {dossier.code: ("appraisal", None)}


def test_dossiers_on_time_or_paused_are_not_late(world):
    on_time = counter_dossier(world, local(2025, 3, 3, 9, 0))
    on_time = forward(world, on_time, local(2025, 3, 3, 11, 0))
    for day, action in enumerate(["propose", "approve", "attach", "sign", "deliver"], start=4):
        on_time = act(world, on_time, action, at=local(2025, 3, day, 9, 0))
    assert on_time.state == "completed"
    paused = counter_dossier(world, local(2025, 3, 5, 9, 0))
    dossier_services.request_supplement(
        dossier=paused, actor=world.clerk, reason="Thiếu tờ khai", at=local(2025, 3, 5, 10, 0)
    )
    # Still open in appraisal, but its due date lies after NOW.
    recent = counter_dossier(world, local(2025, 3, 28, 9, 0))
    forward(world, recent, local(2025, 3, 28, 10, 0))
    assert late_rows(world) == {}


def test_a_supplement_moves_the_due_date_and_so_the_step_that_went_late(world):
    dossier = counter_dossier(world, local(2025, 3, 3, 9, 0))
    dossier = forward(world, dossier, local(2025, 3, 3, 11, 0))
    dossier = dossier_services.request_supplement(
        dossier=dossier, actor=world.specialist, reason="Thiếu", at=local(2025, 3, 4, 9, 0)
    )
    dossier = dossier_services.resume_dossier(
        dossier=dossier, actor=world.specialist, at=local(2025, 3, 14, 9, 0)
    )
    assert dossier.due_at > local(2025, 3, 17, 17, 0)  # the paused days were given back
    dossier = propose(world, dossier, local(2025, 3, 18, 10, 0))
    dossier_services.approve_dossier(
        dossier=dossier, actor=world.approver, at=dossier.due_at + timedelta(hours=1)
    )
    assert late_rows(world) == {dossier.code: ("approval", "approver")}


def test_late_dossiers_are_limited_to_the_period_and_the_units_asked(world, province):
    ours = counter_dossier(world, local(2025, 3, 3, 9, 0))
    forward(world, ours, local(2025, 3, 3, 11, 0))
    february = counter_dossier(world, local(2025, 2, 3, 9, 0))
    forward(world, february, local(2025, 2, 3, 11, 0))
    theirs = other_units_dossier(world, local(2025, 3, 3, 9, 0))
    assert theirs.due_at < NOW
    assert set(late_rows(world)) == {ours.code}
    assert set(late_rows(world, user=province["inspector"], unit=world.unit)) == {ours.code}
    assert set(late_rows(world, user=world.admin)) == {ours.code, theirs.code}


def test_attaching_the_result_neither_ends_nor_begins_a_step_visit(world, approver_2, settings):
    settings.METRICS_CHANGES_OVERLAP_SECONDS = 0  # after the run, the dossier is read from its rows
    dossier = counter_dossier(world, local(2025, 3, 3, 9, 0))
    dossier = forward(world, dossier, local(2025, 3, 3, 11, 0))
    dossier = propose(world, dossier, local(2025, 3, 4, 9, 0))  # in approval from 4 March 9:00
    assert dossier.due_at == local(2025, 3, 17, 17, 0)
    # another approver attaches the result after the due date; the state stays "approval"
    dossier = attach_result(
        dossier=dossier, actor=approver_2, upload=pdf_upload("kq"), at=local(2025, 3, 18, 9, 0)
    )
    dossier_services.approve_dossier(
        dossier=dossier, actor=world.approver, at=local(2025, 3, 19, 9, 0)
    )
    assert dossier.transitions.filter(
        action="attach_result", source_state="approval", target_state="approval"
    ).exists()

    for counted in (False, True):  # read from the log, then from the tables a metrics run keeps
        if counted:
            refresh_metrics()
            refresh_accountability()
            facts = AccountabilityFacts.objects.get(dossier=dossier)
            assert (facts.late_state, facts.late_holder) == ("approval", world.approver)
            assert facts.finished_visits == 3
        # the late visit is the approval, left by whoever approved it
        assert late_rows(world) == {dossier.code: ("approval", "approver")}
        rows = staff_rows(world)
        assert "approver-2" not in rows  # attaching held no visit
        # one visit of 15 days at approval, not two split at the attachment
        assert rows["approver"]["finished_step_visits"] == 1
        assert rows["approver"]["average_hours_at_step"] == 15 * 24.0
        scope = accountability_scope(world.inspector, unit=None, **MARCH)
        [unit] = accountability.unit_report(scope=scope, now=NOW)
        assert unit["finished_step_visits"] == 3  # intake, appraisal, approval (signing goes on)


# --- figures ------------------------------------------------------------------------------------


@pytest.fixture
def march(world):
    """Three dossiers of world.unit received in March 2025:

    - A: intake 2 h (clerk), appraisal 22 h (specialist), then in approval past due (approver);
    - B: intake 2 h (clerk), appraisal 26 h (specialist), proposed after the due date;
    - C: intake 1 h (clerk), then in appraisal unassigned past due.
    """
    a = counter_dossier(world, local(2025, 3, 3, 9, 0))
    a = forward(world, a, local(2025, 3, 3, 11, 0))
    propose(world, a, local(2025, 3, 4, 9, 0))
    b = counter_dossier(world, local(2025, 3, 3, 9, 0))
    b = forward(world, b, local(2025, 3, 3, 11, 0))
    b = propose(world, b, local(2025, 3, 4, 13, 0))
    b = dossier_services.send_back_dossier(
        dossier=b,
        actor=world.approver,
        reason="Làm rõ",
        assignee=world.specialist,
        at=local(2025, 3, 4, 15, 0),
    )
    propose(world, b, local(2025, 3, 18, 15, 0))  # 2 weeks in appraisal the second time
    c = counter_dossier(world, local(2025, 3, 10, 9, 0))
    forward(world, c, local(2025, 3, 10, 10, 0), assignee=None)
    return {"a": a, "b": b, "c": c}


def staff_rows(world, user=None, unit=None):
    scope = accountability_scope(user or world.inspector, unit=unit, **MARCH)
    rows = accountability.staff_report(scope=scope, now=NOW)
    return {row["staff"].username if row["staff"] else None: row for row in rows}


def test_staff_figures_count_dossiers_handled_and_lateness_at_their_step(world, march):
    rows = staff_rows(world)
    assert set(rows) == {"clerk", "specialist", "approver", None}
    assert rows["clerk"]["dossiers_handled"] == 3
    assert rows["clerk"]["late_at_step"] == 0
    assert rows["specialist"]["dossiers_handled"] == 2
    assert rows["specialist"]["late_at_step"] == 1
    assert rows["specialist"]["late_by_step"] == {
        "intake": 0,
        "appraisal": 1,
        "approval": 0,
        "signing": 0,
        "delivery": 0,
    }
    assert (rows["approver"]["dossiers_handled"], rows["approver"]["late_at_step"]) == (2, 1)
    assert rows["approver"]["late_by_step"]["approval"] == 1
    assert (rows[None]["dossiers_handled"], rows[None]["late_at_step"]) == (1, 1)
    assert list(rows)[:2] in (["specialist", "approver"], ["approver", "specialist"])


def test_average_time_at_step_is_in_calendar_hours_over_finished_steps(world, march):
    rows = staff_rows(world)
    # clerk: 2 h, 2 h and 1 h at intake
    assert (rows["clerk"]["finished_step_visits"], rows["clerk"]["average_hours_at_step"]) == (
        3,
        round(5 / 3, 2),
    )
    # specialist: 22 h (A), 26 h (B, first time), 14 days (B, second time)
    assert rows["specialist"]["finished_step_visits"] == 3
    assert rows["specialist"]["average_hours_at_step"] == round((22 + 26 + 14 * 24) / 3, 2)
    # approver: B's 2 h in approval before sending it back; A is still with them
    assert (
        rows["approver"]["finished_step_visits"],
        rows["approver"]["average_hours_at_step"],
    ) == (
        1,
        2.0,
    )
    assert rows[None]["average_hours_at_step"] is None


def test_staff_figures_count_findings_by_kind_and_severity(world, march, started):
    for kind, severity in [("no_receipt", "minor"), ("discipline", "serious")]:
        services.record_finding(
            inspection=started,
            actor=world.inspector,
            staff=world.clerk,
            kind=kind,
            severity=severity,
            description="Vi phạm",
            at=local(2025, 3, 20, 9, 0),
        )
    services.record_finding(
        inspection=started,
        actor=world.inspector,
        staff=world.clerk,
        kind="discipline",
        severity="minor",
        description="Tháng sau",
        at=local(2025, 4, 2, 9, 0),  # outside the period
    )
    findings = staff_rows(world)["clerk"]["findings"]
    assert findings["total"] == 2
    assert findings["by_kind"]["no_receipt"] == 1
    assert findings["by_kind"]["discipline"] == 1
    assert sum(findings["by_kind"].values()) == 2
    assert findings["by_severity"] == {"minor": 1, "moderate": 0, "serious": 1}
    assert staff_rows(world)["specialist"]["findings"]["total"] == 0


def test_unit_figures_add_up_the_units_dossiers(world, march):
    other = other_units_dossier(world, local(2025, 3, 3, 9, 0))
    scope = accountability_scope(world.admin, unit=None, **MARCH)
    rows = {row["unit"].code: row for row in accountability.unit_report(scope=scope, now=NOW)}
    assert set(rows) == {world.unit.code, world.other_unit.code}
    ours = rows[world.unit.code]
    assert (ours["dossiers_received"], ours["dossiers_handled"]) == (3, 3)
    assert (ours["late"], ours["late_at_step"]) == (3, 3)
    assert ours["late_by_step"] == {
        "intake": 0,
        "appraisal": 2,
        "approval": 1,
        "signing": 0,
        "delivery": 0,
    }
    assert ours["finished_step_visits"] == 3 + 3 + 1  # intakes, appraisals, one approval
    theirs = rows[world.other_unit.code]
    assert (theirs["dossiers_received"], theirs["late"]) == (1, 1)
    assert theirs["late_by_step"]["intake"] == 1
    assert other.state == "intake"


def test_figures_agree_with_the_per_dossier_attribution(world, march):
    attributed = late_rows(world)
    rows = staff_rows(world)
    for name, row in rows.items():
        assert row["late_at_step"] == sum(1 for _s, holder in attributed.values() if holder == name)
