"""The transition registries against the state machines they describe, and what a consumer asks
them: which actions a user may take now, and why not."""

import pytest
from django.utils import translation
from rest_framework import serializers

from core.engine import declared_actions
from core.transitions import available_actions
from inspections.models import FINDING_MACHINE, INSPECTION_MACHINE
from procedures.models import DOSSIER_MACHINE, TRANSITION_LABELS, TRANSITION_NAMES, DossierState
from tests.dossiers import dossier_in

S = DossierState
MACHINES = [DOSSIER_MACHINE, INSPECTION_MACHINE, FINDING_MACHINE]


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.model.__name__)
def test_the_registry_lists_exactly_the_transitions_the_model_declares(machine):
    declared = declared_actions(machine.model, machine.field)
    assert set(machine.names) == set(declared)
    assert all(declared[name] for name in machine.names)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.model.__name__)
def test_each_action_has_a_label_and_an_input_that_asks_for_its_text(machine):
    for action in machine.actions:
        assert str(action.label)
        fields = action.input_serializer().fields
        assert isinstance(fields["note"], serializers.CharField)
        if action.text_field and action.text_field != "note":
            assert fields[action.text_field].required, action.name


def test_the_dossier_tables_are_derived_from_the_registry():
    assert DOSSIER_MACHINE.names == TRANSITION_NAMES
    assert {a.name: a.label for a in DOSSIER_MACHINE.actions} == TRANSITION_LABELS
    assert DOSSIER_MACHINE.roles("request_supplement") == {"clerk", "specialist"}


def test_available_actions_say_who_may_act_now_and_why_not(world):
    dossier = dossier_in(world, S.APPROVAL)
    with translation.override("en"):
        assert DOSSIER_MACHINE.available_actions(dossier, world.approver) == [
            ("approve", True, None),
            ("reject", True, None),
            ("send_back", True, None),
            ("withdraw", False, "Your role may not do this."),
        ]
    with translation.override("vi"):
        reasons = {
            name: reason
            for name, _allowed, reason in DOSSIER_MACHINE.available_actions(dossier, world.clerk)
        }
    assert reasons["withdraw"] is None
    assert reasons["approve"] == "Vai trò của bạn không được thực hiện thao tác này."
    appraisal = dossier_in(world, S.APPRAISAL)
    with translation.override("vi"):
        [reason] = [
            reason
            for name, _allowed, reason in DOSSIER_MACHINE.available_actions(appraisal, world.clerk)
            if name == "request_supplement"
        ]
    assert reason == "Vai trò của bạn không được thực hiện thao tác này ở bước hiện tại."


def test_available_actions_of_any_object_ask_its_machine(world):
    dossier = dossier_in(world, S.INTAKE)
    assert available_actions(dossier, world.clerk) == DOSSIER_MACHINE.available_actions(
        dossier, world.clerk
    )


def test_available_actions_give_the_unmet_condition(world):
    signing = dossier_in(world, S.SIGNING)
    translation.activate("en")
    [(name, allowed, reason)] = [
        entry
        for entry in DOSSIER_MACHINE.available_actions(signing, world.approver)
        if entry[0] == "sign"
    ]
    assert (name, allowed) == ("sign", False)
    assert reason == "The result document must be attached before signing."


def test_another_units_staff_are_told_the_unit_is_not_theirs(world):
    dossier = dossier_in(world, S.INTAKE)
    translation.activate("en")
    entries = {
        name: reason
        for name, _allowed, reason in DOSSIER_MACHINE.available_actions(dossier, world.other_clerk)
    }
    assert entries["withdraw"] == "You may not act on dossiers of this unit."
