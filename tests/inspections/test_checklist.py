"""The checklist of each sampled dossier is prefilled from the records; the inspector confirms or
corrects each item and both values are kept."""

from datetime import date, timedelta

import pytest

from inspections import services
from inspections.errors import NotInProgress
from inspections.models import ChecklistItem
from procedures import services as dossier_services
from procedures.errors import ActionForbidden, ConditionNotMet, InvalidInput
from procedures.models import DigitizationStatus, Dossier, DossierComponent
from procedures.services.apologies import issue_apology
from tests.dossiers import act, digitize_all, new_dossier
from tests.factories import ProcedureFactory
from tests.inspections.conftest import check_everything, local

pytestmark = pytest.mark.django_db

SAMPLED_AT = local(2025, 4, 2, 9, 0)
ALL_TRUE = {
    "receipt_issued": True,
    "components_digitized": True,
    "on_time_or_apology": True,
    "result_digitized": True,
    "no_extra_papers": True,
}


def to_the_end(world, dossier, start, step=timedelta(hours=1)):
    """Digitize, then take a dossier from step 1 to the returned result, an hour per action."""
    at = start
    digitize_all(world, dossier, at=at)
    for action in ["forward", "propose", "approve", "attach", "sign", "deliver"]:
        at += step
        dossier = act(world, dossier, action, at=at)
    return dossier


def prefilled(inspection) -> dict[str, dict]:
    return {
        sampled.dossier.code: {item.item: item.prefilled for item in sampled.checklist.all()}
        for sampled in inspection.sample.select_related("dossier").prefetch_related("checklist")
    }


def draw_everything(world, inspection):
    services.draw_sample(
        inspection=inspection, actor=world.inspector, size=100, seed=1, at=SAMPLED_AT
    )
    return prefilled(inspection)


def test_a_dossier_handled_by_the_book_passes_every_check(world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    dossier = to_the_end(world, dossier, local(2025, 3, 3, 10, 0))
    assert dossier.state == "completed"
    assert draw_everything(world, started) == {dossier.code: ALL_TRUE}


def test_a_refused_online_dossier_only_has_its_papers_checked(world, started):
    dossier = new_dossier(world, channel="online", at=local(2025, 3, 3, 9, 0))
    dossier_services.refuse_dossier(
        dossier=dossier, actor=world.clerk, reason="Sai thẩm quyền", at=local(2025, 3, 3, 10, 0)
    )
    assert draw_everything(world, started)[dossier.code] == {
        "receipt_issued": None,
        "components_digitized": None,
        "on_time_or_apology": None,
        "result_digitized": None,
        "no_extra_papers": True,
    }


def test_an_accepted_dossier_left_undigitized_past_its_due_date_fails_two_checks(world, started):
    dossier = new_dossier(world, channel="online", at=local(2025, 3, 5, 9, 0))
    dossier = dossier_services.accept_dossier(
        dossier=dossier, actor=world.clerk, at=local(2025, 3, 5, 10, 0)
    )
    assert dossier.due_at < SAMPLED_AT
    assert draw_everything(world, started)[dossier.code] == {
        "receipt_issued": True,
        "components_digitized": False,
        "on_time_or_apology": False,
        "result_digitized": None,
        "no_extra_papers": True,
    }


def test_a_late_dossier_with_an_apology_letter_passes_the_time_check(world, started):
    dossier = new_dossier(world, channel="online", at=local(2025, 3, 5, 9, 0))
    dossier = dossier_services.accept_dossier(
        dossier=dossier, actor=world.clerk, at=local(2025, 3, 5, 10, 0)
    )
    issue_apology(
        dossier=dossier,
        actor=world.clerk,
        reason="Chờ xác minh",
        new_appointment_date=date(2025, 3, 26),
        at=dossier.due_at + timedelta(hours=16),
    )
    assert draw_everything(world, started)[dossier.code]["on_time_or_apology"] is True


def test_a_result_returned_after_the_due_date_fails_the_time_check(world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    dossier = to_the_end(world, dossier, local(2025, 3, 3, 10, 0), step=timedelta(days=3))
    assert dossier.completed_at > dossier.due_at
    assert draw_everything(world, started)[dossier.code] == {
        **ALL_TRUE,
        "on_time_or_apology": False,
    }


def test_a_second_supplement_request_counts_as_late(world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    at = local(2025, 3, 3, 9, 0)
    for _ in range(2):
        dossier = dossier_services.request_supplement(
            dossier=dossier, actor=world.clerk, reason="Thiếu", at=at + timedelta(minutes=10)
        )
        dossier = dossier_services.resume_dossier(
            dossier=dossier, actor=world.clerk, at=at + timedelta(minutes=20)
        )
        at += timedelta(minutes=20)
    dossier = to_the_end(world, dossier, at)
    assert (dossier.supplement_count, dossier.completed_at < dossier.due_at) == (2, True)
    assert draw_everything(world, started)[dossier.code]["on_time_or_apology"] is False


def test_a_paper_beyond_the_procedures_list_fails_the_papers_check(world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    DossierComponent.objects.create(dossier=dossier, name="Sổ hộ khẩu", required=False)
    dossier = to_the_end(world, dossier, local(2025, 3, 3, 10, 0))
    assert draw_everything(world, started)[dossier.code] == {
        **ALL_TRUE,
        "no_extra_papers": False,
    }


def test_a_paper_renamed_in_the_catalogue_still_counts_by_its_name(world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    dossier.components.update(procedure_component=None)  # the catalogue list was replaced
    dossier = to_the_end(world, dossier, local(2025, 3, 3, 10, 0))
    assert draw_everything(world, started)[dossier.code]["no_extra_papers"] is True


def test_the_result_check_does_not_apply_to_a_procedure_without_a_result(world, started):
    procedure = ProcedureFactory(units=[world.unit], issues_result=False)
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0), procedure=procedure)
    digitize_all(world, dossier, at=local(2025, 3, 3, 9, 30))
    for hour, action in enumerate(["forward", "propose", "approve", "sign", "deliver"], 10):
        dossier = act(world, dossier, action, at=local(2025, 3, 3, hour, 0))
    assert draw_everything(world, started)[dossier.code] == {
        **ALL_TRUE,
        "result_digitized": None,
    }


def test_an_imported_dossier_without_history_or_result_fails_the_record_checks(world, started):
    dossier = Dossier.objects.create(
        code="IMPORTED-1",
        procedure=world.procedure,
        unit=world.unit,
        channel="direct",
        applicant_full_name="Trần Thị Bình",
        state="completed",
        received_at=local(2025, 2, 3, 9, 0),
        accepted_at=local(2025, 2, 3, 9, 0),
        due_at=local(2025, 2, 17, 17, 0),
        completed_at=local(2025, 2, 10, 9, 0),
    )
    DossierComponent.objects.create(dossier=dossier, name="Tờ khai", position=0)
    assert draw_everything(world, started)[dossier.code] == {
        "receipt_issued": False,
        "components_digitized": False,
        "on_time_or_apology": True,
        "result_digitized": False,
        "no_extra_papers": True,
    }
    assert dossier.components.get().status == DigitizationStatus.PENDING


# --- confirming -------------------------------------------------------------------------------


@pytest.fixture
def sampled(world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    to_the_end(world, dossier, local(2025, 3, 3, 10, 0))
    return services.draw_sample(inspection=started, actor=world.inspector, size=1, seed=1)[0]


def test_the_inspector_confirms_and_corrects_items_keeping_the_prefilled_values(world, sampled):
    services.check_items(
        sampled=sampled,
        actor=world.inspector,
        answers=[
            {"item": "receipt_issued", "value": True},
            {"item": "no_extra_papers", "value": False, "note": "Yêu cầu thêm sổ hộ khẩu"},
        ],
        at=local(2025, 4, 3, 10, 0),
    )
    items = {item.item: item for item in ChecklistItem.objects.filter(sampled=sampled)}
    receipt, papers = items["receipt_issued"], items["no_extra_papers"]
    assert (receipt.prefilled, receipt.confirmed, receipt.corrected) == (True, True, False)
    assert (papers.prefilled, papers.confirmed, papers.corrected) == (True, False, True)
    assert papers.note == "Yêu cầu thêm sổ hộ khẩu"
    assert (papers.checked_by, papers.checked_at) == (world.inspector, local(2025, 4, 3, 10, 0))
    assert not items["result_digitized"].is_checked


def test_concluding_waits_for_every_item_to_be_checked(world, started, sampled):
    services.check_items(
        sampled=sampled, actor=world.inspector, answers=[{"item": "receipt_issued", "value": True}]
    )
    with pytest.raises(ConditionNotMet) as error:
        services.conclude_inspection(inspection=started, actor=world.inspector, conclusion="Xong")
    assert error.value.code == "checklist_unchecked"
    check_everything(started, world.inspector)
    concluded = services.conclude_inspection(
        inspection=started, actor=world.inspector, conclusion="Xong"
    )
    assert concluded.state == "concluded"


def test_items_are_checked_by_the_team_while_in_progress_only(world, plan, second_inspector):
    inspection = plan()
    new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    sampled = services.draw_sample(inspection=inspection, actor=world.inspector, size=1)[0]
    answers = [{"item": "receipt_issued", "value": True}]
    with pytest.raises(NotInProgress):
        services.check_items(sampled=sampled, actor=world.inspector, answers=answers)
    services.start_inspection(inspection=inspection, actor=world.inspector)
    with pytest.raises(ActionForbidden):
        services.check_items(sampled=sampled, actor=second_inspector, answers=answers)
    with pytest.raises(InvalidInput):
        services.check_items(
            sampled=sampled, actor=world.inspector, answers=[{"item": "bribe", "value": True}]
        )
