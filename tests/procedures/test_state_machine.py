"""The dossier state machine, transition by transition, through the services."""

import pytest

from procedures import services
from procedures.errors import (
    ActionForbidden,
    ConditionNotMet,
    InvalidInput,
    TransitionNotAllowed,
)
from procedures.models import (
    NATIONAL_STATUS,
    TRANSITION_NAMES,
    DigitizationStatus,
    Dossier,
    DossierState,
    DossierTransition,
    Role,
)
from tests.dossiers import ARGUMENTS, actor_for, digitize_all, dossier_in, new_dossier
from tests.factories import ProcedureFactory, UnitFactory, UserFactory, pdf_upload

S = DossierState

ALLOWED = {
    S.SUBMITTED: {"accept": S.INTAKE, "refuse": S.REFUSED, "withdraw": S.WITHDRAWN},
    S.INTAKE: {
        "forward": S.APPRAISAL,
        "request_supplement": S.SUPPLEMENT,
        "reject": S.REJECTED,
        "withdraw": S.WITHDRAWN,
    },
    S.APPRAISAL: {
        "propose": S.APPROVAL,
        "request_supplement": S.SUPPLEMENT,
        "reject": S.REJECTED,
        "withdraw": S.WITHDRAWN,
    },
    S.APPROVAL: {
        "approve": S.SIGNING,
        "send_back": S.APPRAISAL,
        "reject": S.REJECTED,
        "withdraw": S.WITHDRAWN,
    },
    S.SIGNING: {"sign": S.DELIVERY, "withdraw": S.WITHDRAWN},
    S.DELIVERY: {"deliver": S.COMPLETED, "withdraw": S.WITHDRAWN},
    S.SUPPLEMENT: {"resume": S.INTAKE, "withdraw": S.WITHDRAWN},
    S.COMPLETED: {},
    S.REFUSED: {},
    S.REJECTED: {},
    S.WITHDRAWN: {},
}

ALLOWED_CASES = [(s, a, t) for s, moves in ALLOWED.items() for a, t in moves.items()]
FORBIDDEN_CASES = [(s, a) for s in ALLOWED for a in TRANSITION_NAMES if a not in ALLOWED[s]]

pytestmark = pytest.mark.django_db


def prepare(world, dossier, action):
    """Satisfy the conditions of `action` so only the state decides."""
    if action == "forward" and dossier.state == S.INTAKE:
        digitize_all(world, dossier)
    if action == "sign" and dossier.state == S.SIGNING:
        from digitization.services import attach_result

        attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload())
    return Dossier.objects.get(pk=dossier.pk)


def test_every_state_is_covered_and_maps_to_a_national_status_code():
    assert set(ALLOWED) == set(DossierState)
    assert set(NATIONAL_STATUS) == set(DossierState)
    assert set(NATIONAL_STATUS.values()) <= set(range(1, 11))


@pytest.mark.parametrize(("source", "action", "target"), ALLOWED_CASES)
def test_allowed_transition_moves_the_dossier_and_logs_it(world, source, action, target):
    dossier = prepare(world, dossier_in(world, source), action)
    actor = actor_for(world, action, dossier)
    logged = DossierTransition.objects.filter(dossier=dossier).count()

    result = services.perform_transition(
        dossier=dossier, actor=actor, action=action, note="ghi chú", **ARGUMENTS.get(action, {})
    )

    assert result.state == target
    saved = Dossier.objects.get(pk=dossier.pk)
    assert saved.state == target
    entries = list(DossierTransition.objects.filter(dossier=dossier).order_by("id"))
    assert len(entries) == logged + 1
    entry = entries[-1]
    assert (entry.action, entry.source_state, entry.target_state) == (action, source, target)
    assert entry.actor == actor
    assert entry.note == "ghi chú"
    for key, value in ARGUMENTS.get(action, {}).items():
        assert entry.payload[key] == value


@pytest.mark.parametrize(("source", "action"), FORBIDDEN_CASES)
def test_forbidden_transition_raises_and_changes_nothing(world, source, action):
    dossier = prepare(world, dossier_in(world, source), action)
    before = Dossier.objects.filter(pk=dossier.pk).values().get()
    logged = DossierTransition.objects.filter(dossier=dossier).count()

    with pytest.raises(TransitionNotAllowed):
        services.perform_transition(
            dossier=dossier, actor=world.admin, action=action, **ARGUMENTS.get(action, {})
        )

    assert Dossier.objects.filter(pk=dossier.pk).values().get() == before
    assert DossierTransition.objects.filter(dossier=dossier).count() == logged


def test_resume_returns_to_appraisal_when_the_supplement_was_asked_at_appraisal(world):
    dossier = dossier_in(world, S.APPRAISAL)
    dossier = services.request_supplement(dossier=dossier, actor=world.specialist, reason="Thiếu")
    assert dossier.state_before_supplement == S.APPRAISAL
    dossier = services.resume_dossier(dossier=dossier, actor=world.specialist)
    assert dossier.state == S.APPRAISAL


def test_second_supplement_request_is_allowed_and_counted(world):
    dossier = dossier_in(world, S.INTAKE)
    for _ in range(2):
        dossier = services.request_supplement(dossier=dossier, actor=world.clerk, reason="Thiếu")
        dossier = services.resume_dossier(dossier=dossier, actor=world.clerk)
    assert Dossier.objects.get(pk=dossier.pk).supplement_count == 2


# --- roles ----------------------------------------------------------------------------------

ROLE_OF_ACTION = {
    ("accept", S.SUBMITTED): {Role.CLERK},
    ("refuse", S.SUBMITTED): {Role.CLERK},
    ("forward", S.INTAKE): {Role.CLERK},
    ("propose", S.APPRAISAL): {Role.SPECIALIST},
    ("approve", S.APPROVAL): {Role.APPROVER},
    ("send_back", S.APPROVAL): {Role.APPROVER},
    ("sign", S.SIGNING): {Role.APPROVER},
    ("deliver", S.DELIVERY): {Role.CLERK},
    ("request_supplement", S.INTAKE): {Role.CLERK},
    ("request_supplement", S.APPRAISAL): {Role.SPECIALIST},
    ("resume", S.SUPPLEMENT): {Role.CLERK, Role.SPECIALIST},
    ("reject", S.APPRAISAL): {Role.SPECIALIST, Role.APPROVER},
    ("withdraw", S.APPRAISAL): {Role.CLERK},
}
ROLE_CASES = [
    (action, state, role, role in roles)
    for (action, state), roles in ROLE_OF_ACTION.items()
    for role in (
        Role.CLERK,
        Role.SPECIALIST,
        Role.APPROVER,
        Role.INSPECTOR,
        Role.LEADER,
        Role.ADMIN,
    )
]


@pytest.mark.parametrize(("action", "state", "role", "allowed"), ROLE_CASES)
def test_only_the_role_of_the_step_may_make_the_transition(world, action, state, role, allowed):
    dossier = prepare(world, dossier_in(world, state), action)
    actor = {
        Role.CLERK: world.clerk,
        Role.SPECIALIST: world.specialist,
        Role.APPROVER: world.approver,
        Role.INSPECTOR: world.inspector,
        Role.LEADER: world.leader,
        Role.ADMIN: world.admin,
    }[role]
    call = lambda: services.perform_transition(  # noqa: E731
        dossier=dossier, actor=actor, action=action, **ARGUMENTS.get(action, {})
    )
    if allowed or role == Role.ADMIN:
        assert call().state == ALLOWED[state][action]
    else:
        logged = DossierTransition.objects.filter(dossier=dossier).count()
        with pytest.raises(ActionForbidden):
            call()
        assert Dossier.objects.get(pk=dossier.pk).state == state
        assert DossierTransition.objects.filter(dossier=dossier).count() == logged


def test_superuser_without_a_role_counts_as_administrator(world):
    root = UserFactory(username="root", role="", unit=None, is_superuser=True)
    dossier = dossier_in(world, S.SUBMITTED)
    assert services.accept_dossier(dossier=dossier, actor=root).state == S.INTAKE


def test_inactive_user_may_not_act(world):
    dossier = dossier_in(world, S.SUBMITTED)
    world.clerk.is_active = False
    world.clerk.save()
    with pytest.raises(ActionForbidden):
        services.accept_dossier(dossier=dossier, actor=world.clerk)


# --- units ----------------------------------------------------------------------------------


def test_clerk_of_another_unit_may_not_act(world):
    dossier = dossier_in(world, S.SUBMITTED)
    with pytest.raises(ActionForbidden):
        services.accept_dossier(dossier=dossier, actor=world.other_clerk)
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED


def test_staff_of_a_parent_unit_act_in_child_units_only_when_configured(world):
    child = UnitFactory(parent=world.unit, block="commune")
    world.procedure.units.add(child)
    dossier = new_dossier(world, unit=child, actor=world.admin)
    parent_clerk = UserFactory(role="clerk", unit=world.unit, covers_child_units=False)
    with pytest.raises(ActionForbidden):
        services.accept_dossier(dossier=dossier, actor=parent_clerk)
    parent_clerk.covers_child_units = True
    parent_clerk.save()
    assert services.accept_dossier(dossier=dossier, actor=parent_clerk).state == S.INTAKE


def test_child_unit_staff_may_not_act_in_the_parent_unit(world):
    child = UnitFactory(parent=world.unit, block="commune")
    child_clerk = UserFactory(role="clerk", unit=child, covers_child_units=True)
    dossier = dossier_in(world, S.SUBMITTED)
    with pytest.raises(ActionForbidden):
        services.accept_dossier(dossier=dossier, actor=child_clerk)


# --- conditions -----------------------------------------------------------------------------


def test_forward_needs_every_required_component_digitized(world):
    dossier = dossier_in(world, S.INTAKE)
    required = list(dossier.components.filter(required=True))
    from digitization.services import digitize_component

    digitize_component(component=required[0], actor=world.clerk, reused_from="KHO-1")
    with pytest.raises(ConditionNotMet) as raised:
        services.forward_dossier(dossier=dossier, actor=world.clerk)
    assert raised.value.code == "components_not_digitized"
    assert Dossier.objects.get(pk=dossier.pk).state == S.INTAKE
    assert not DossierTransition.objects.filter(dossier=dossier, action="forward").exists()

    digitize_component(component=required[1], actor=world.clerk, upload=pdf_upload())
    optional = dossier.components.get(required=False)
    assert optional.status == DigitizationStatus.PENDING
    assert services.forward_dossier(dossier=dossier, actor=world.clerk).state == S.APPRAISAL


def test_sign_needs_the_result_document_when_the_procedure_issues_one(world):
    dossier = dossier_in(world, S.SIGNING)
    with pytest.raises(ConditionNotMet) as raised:
        services.sign_result(dossier=dossier, actor=world.approver)
    assert raised.value.code == "result_missing"
    assert Dossier.objects.get(pk=dossier.pk).state == S.SIGNING
    assert Dossier.objects.get(pk=dossier.pk).result_signed_at is None


def test_sign_without_document_when_the_procedure_issues_none(world):
    procedure = ProcedureFactory(units=[world.unit], issues_result=False, components=[])
    dossier = new_dossier(world, channel="direct", procedure=procedure)
    dossier = services.forward_dossier(dossier=dossier, actor=world.clerk)
    dossier = services.propose_decision(dossier=dossier, actor=world.specialist, opinion="Đạt")
    dossier = services.approve_dossier(dossier=dossier, actor=world.approver)
    dossier = services.sign_result(dossier=dossier, actor=world.approver)
    assert dossier.state == S.DELIVERY
    assert dossier.result_signed_by == world.approver


def test_sign_records_who_signed_and_when(world):
    dossier = dossier_in(world, S.DELIVERY)
    assert dossier.result_file_id is not None
    assert dossier.result_signed_by == world.approver
    assert dossier.result_signed_at is not None


def test_propose_needs_an_opinion(world):
    dossier = dossier_in(world, S.APPRAISAL)
    with pytest.raises(InvalidInput) as raised:
        services.propose_decision(dossier=dossier, actor=world.specialist, opinion="  ")
    assert "opinion" in raised.value.fields
    assert Dossier.objects.get(pk=dossier.pk).state == S.APPRAISAL


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.SUBMITTED, "refuse"),
        (S.APPRAISAL, "reject"),
        (S.APPROVAL, "send_back"),
        (S.INTAKE, "request_supplement"),
        (S.DELIVERY, "withdraw"),
    ],
)
def test_side_paths_need_a_reason(world, state, action):
    dossier = dossier_in(world, state)
    logged = DossierTransition.objects.filter(dossier=dossier).count()
    with pytest.raises(InvalidInput) as raised:
        services.perform_transition(
            dossier=dossier, actor=actor_for(world, action, dossier), action=action, reason=""
        )
    assert "reason" in raised.value.fields
    assert Dossier.objects.get(pk=dossier.pk).state == state
    assert DossierTransition.objects.filter(dossier=dossier).count() == logged


def test_rejection_keeps_the_legal_reason_and_finishes_the_dossier(world):
    dossier = dossier_in(world, S.APPROVAL)
    dossier = services.reject_dossier(
        dossier=dossier, actor=world.approver, reason="Khoản 2 Điều 5 Nghị định 123/2015"
    )
    assert dossier.decision_reason == "Khoản 2 Điều 5 Nghị định 123/2015"
    assert dossier.completed_at is not None
    assert not dossier.is_open


# --- handlers -------------------------------------------------------------------------------


def test_handover_names_the_next_handler(world):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    dossier = services.forward_dossier(
        dossier=dossier, actor=world.clerk, assignee=world.specialist
    )
    assert dossier.handler == world.specialist


def test_handover_to_someone_of_the_wrong_role_is_refused(world):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    with pytest.raises(InvalidInput) as raised:
        services.forward_dossier(dossier=dossier, actor=world.clerk, assignee=world.approver)
    assert "assignee" in raised.value.fields
    assert Dossier.objects.get(pk=dossier.pk).state == S.INTAKE


def test_available_transitions_follow_role_state_and_conditions(world):
    dossier = dossier_in(world, S.INTAKE)
    names = lambda user: {t.name for t in dossier.get_available_user_state_transitions(user)}  # noqa: E731
    assert names(world.clerk) == {"request_supplement", "withdraw"}
    assert names(world.specialist) == {"reject"}
    digitize_all(world, dossier)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert "forward" in {t.name for t in dossier.get_available_user_state_transitions(world.clerk)}
    assert names(world.other_clerk) == set()
