"""The inspection's state machine: planned → in_progress → concluded → closed, and planning."""

from datetime import date

import pytest

from inspections import services
from inspections.models import Inspection, InspectionLog
from procedures.errors import ActionForbidden, ConditionNotMet, InvalidInput, TransitionNotAllowed
from tests.factories import UnitFactory, UserFactory
from tests.inspections.conftest import local

pytestmark = pytest.mark.django_db


def test_a_new_inspection_is_planned_with_its_team(world, plan, second_inspector):
    inspection = plan(members=[second_inspector, world.inspector])
    assert inspection.state == "planned"
    assert inspection.lead == world.inspector
    assert list(inspection.members.all()) == [second_inspector]
    assert inspection.team_ids() == {world.inspector.pk, second_inspector.pk}


def test_the_lead_moves_the_inspection_through_every_state(world, plan):
    inspection = plan()
    inspection = services.start_inspection(
        inspection=inspection, actor=world.inspector, at=local(2025, 4, 1, 8, 0)
    )
    assert (inspection.state, inspection.started_at) == ("in_progress", local(2025, 4, 1, 8, 0))
    inspection = services.conclude_inspection(
        inspection=inspection,
        actor=world.inspector,
        conclusion="Đơn vị chấp hành tốt",
        at=local(2025, 4, 20, 16, 0),
    )
    assert inspection.state == "concluded"
    assert inspection.conclusion == "Đơn vị chấp hành tốt"
    assert inspection.concluded_at == local(2025, 4, 20, 16, 0)
    inspection = services.close_inspection(
        inspection=inspection, actor=world.inspector, at=local(2025, 5, 5, 9, 0)
    )
    assert (inspection.state, inspection.closed_at) == ("closed", local(2025, 5, 5, 9, 0))
    assert Inspection.objects.get(pk=inspection.pk).state == "closed"


def test_every_step_is_logged_with_its_states_and_actor(world, plan):
    inspection = plan()
    services.start_inspection(inspection=inspection, actor=world.inspector, note="Bắt đầu")
    services.conclude_inspection(inspection=inspection, actor=world.inspector, conclusion="Tốt")
    log = list(InspectionLog.objects.filter(inspection=inspection).order_by("at", "id"))
    assert [(e.action, e.source_state, e.target_state) for e in log] == [
        ("create", "", "planned"),
        ("start", "planned", "in_progress"),
        ("conclude", "in_progress", "concluded"),
    ]
    assert {e.actor for e in log} == {world.inspector}
    assert log[1].note == "Bắt đầu"
    assert log[2].payload == {"conclusion": "Tốt"}


@pytest.mark.parametrize(
    ("reached", "action"),
    [
        ("planned", "conclude"),
        ("planned", "close"),
        ("in_progress", "start"),
        ("in_progress", "close"),
        ("concluded", "start"),
        ("concluded", "conclude"),
        ("closed", "start"),
        ("closed", "conclude"),
        ("closed", "close"),
    ],
)
def test_an_action_out_of_order_is_refused(world, plan, reached, action):
    inspection = plan()
    path = ["start", "conclude", "close"]
    arguments = {"conclude": {"conclusion": "Kết luận"}}
    for step in path[: ["planned", "in_progress", "concluded", "closed"].index(reached)]:
        inspection = services.perform_inspection_transition(
            inspection=inspection, actor=world.inspector, action=step, **arguments.get(step, {})
        )
    with pytest.raises(TransitionNotAllowed):
        services.perform_inspection_transition(
            inspection=inspection, actor=world.inspector, action=action, **arguments.get(action, {})
        )
    assert Inspection.objects.get(pk=inspection.pk).state == reached


def test_a_conclusion_text_is_required(world, started):
    with pytest.raises(InvalidInput) as error:
        services.conclude_inspection(inspection=started, actor=world.inspector, conclusion="  ")
    assert "conclusion" in error.value.fields
    assert Inspection.objects.get(pk=started.pk).state == "in_progress"


def test_only_the_lead_or_an_administrator_starts(world, plan, second_inspector):
    inspection = plan(members=[second_inspector])
    for outsider in (second_inspector, world.leader, world.clerk):
        with pytest.raises(ActionForbidden):
            services.start_inspection(inspection=inspection, actor=outsider)
    assert services.start_inspection(inspection=inspection, actor=world.admin).state == (
        "in_progress"
    )


def test_the_state_field_cannot_be_set_directly(plan):
    inspection = plan()
    with pytest.raises(AttributeError):
        inspection.state = "closed"


def test_closing_waits_for_every_finding_to_be_verified(world, started):
    finding = services.record_finding(
        inspection=started,
        actor=world.inspector,
        staff=world.clerk,
        kind="no_receipt",
        severity="minor",
        description="Không cấp giấy tiếp nhận",
    )
    concluded = services.conclude_inspection(
        inspection=started, actor=world.inspector, conclusion="Có vi phạm"
    )
    with pytest.raises(ConditionNotMet) as error:
        services.close_inspection(inspection=concluded, actor=world.inspector)
    assert error.value.code == "findings_not_verified"
    services.remedy_finding(finding=finding, actor=world.clerk, note="Đã cấp lại")
    services.verify_finding(finding=finding, actor=world.inspector)
    assert services.close_inspection(inspection=concluded, actor=world.inspector).state == "closed"


# --- planning -----------------------------------------------------------------------------------


def test_only_inspectors_and_administrators_plan(world, plan):
    for role_holder in (world.clerk, world.leader, world.approver):
        with pytest.raises(ActionForbidden):
            plan(actor=role_holder)
    assert plan(actor=world.admin).created_by == world.admin


def test_an_inspector_cannot_plan_for_a_unit_outside_their_authority(world, plan):
    with pytest.raises(ActionForbidden):
        plan(unit=world.other_unit)


def test_the_team_must_be_inspectors_with_authority_over_the_unit(world, plan):
    elsewhere = UserFactory(username="far-inspector", role="inspector", unit=UnitFactory())
    with pytest.raises(InvalidInput) as error:
        plan(lead=world.clerk, members=[elsewhere])
    assert set(error.value.fields) == {"lead", "members"}
    assert "far-inspector" in str(error.value.fields["members"][0])


def test_the_period_must_be_in_order(plan):
    with pytest.raises(InvalidInput) as error:
        plan(period_start=date(2025, 3, 1), period_end=date(2025, 2, 1))
    assert set(error.value.fields) == {"period_end"}


def test_a_planned_inspection_can_be_changed_by_its_lead_only_while_planned(
    world, plan, second_inspector
):
    inspection = plan()
    changed = services.update_inspection(
        inspection=inspection,
        actor=world.inspector,
        data={"kind": "unannounced", "planned_start": date(2025, 4, 7)},
        members=[second_inspector],
    )
    assert (changed.kind, changed.planned_start) == ("unannounced", date(2025, 4, 7))
    assert list(changed.members.all()) == [second_inspector]
    with pytest.raises(ActionForbidden):
        services.update_inspection(
            inspection=inspection, actor=second_inspector, data={"scope": "Khác"}
        )
    services.start_inspection(inspection=inspection, actor=world.inspector)
    with pytest.raises(TransitionNotAllowed):
        services.update_inspection(inspection=inspection, actor=world.inspector, data={})
