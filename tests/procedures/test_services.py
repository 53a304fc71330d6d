from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from procedures import services
from procedures.errors import ActionForbidden, ConcurrentChange, InvalidInput
from procedures.models import (
    DigitizationStatus,
    Dossier,
    DossierComponent,
    DossierState,
    DossierTransition,
)
from tests.dossiers import dossier_in, new_dossier
from tests.factories import ProcedureFactory, UserFactory

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
S = DossierState
pytestmark = pytest.mark.django_db


def local(*args):
    return datetime(*args, tzinfo=HCM)


def test_codes_follow_unit_day_and_a_daily_sequence(world):
    first = new_dossier(world, at=local(2026, 11, 26, 9, 0))
    second = new_dossier(world, at=local(2026, 11, 26, 9, 5))
    next_day = new_dossier(world, at=local(2026, 11, 27, 8, 0))
    assert first.code == "000.20.31.H40-261126-0001"
    assert second.code == "000.20.31.H40-261126-0002"
    assert next_day.code == "000.20.31.H40-261127-0001"


def test_each_unit_has_its_own_sequence(world):
    new_dossier(world, at=local(2026, 11, 26, 9, 0))
    other = new_dossier(
        world, unit=world.other_unit, actor=world.other_clerk, at=local(2026, 11, 26, 9, 0)
    )
    assert other.code == "000.21.31.H40-261126-0001"


def test_code_day_is_the_local_day_of_receipt(world):
    # 23:30 on 25 Nov in UTC is 06:30 on 26 Nov in Hà Nội
    dossier = new_dossier(world, at=datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert "-261126-" in dossier.code


def test_new_dossier_copies_components_and_applicant_and_logs_its_creation(world):
    dossier = new_dossier(world, channel="direct")
    components = list(dossier.components.order_by("position"))
    assert [(c.name, c.required, c.status) for c in components] == [
        ("Tờ khai", True, DigitizationStatus.PENDING),
        ("Giấy tờ tùy thân", True, DigitizationStatus.PENDING),
        ("Giấy tờ khác", False, DigitizationStatus.PENDING),
    ]
    assert dossier.applicant_full_name == "Nguyễn Văn An"
    assert dossier.applicant_id_number == "022090001234"
    assert dossier.handler == world.clerk
    entry = DossierTransition.objects.get(dossier=dossier)
    assert (entry.action, entry.source_state, entry.target_state) == ("create", "", S.INTAKE)
    assert entry.actor == world.clerk


def test_received_at_defaults_to_now(world):
    before = timezone.now()
    dossier = new_dossier(world)
    assert before <= dossier.received_at <= timezone.now()


def test_administrator_may_import_with_an_earlier_time_of_receipt(world):
    received = local(2025, 3, 3, 9, 0)
    dossier = services.create_dossier(
        actor=world.admin,
        procedure=world.procedure,
        unit=world.unit,
        channel="direct",
        applicant={"full_name": "Trần Thị Bình"},
        received_at=received,
    )
    assert dossier.received_at == received
    assert dossier.code.endswith("-250303-0001")
    assert dossier.due_at == local(2025, 3, 17, 17, 0)


def test_clerk_may_not_give_a_time_of_receipt(world):
    with pytest.raises(ActionForbidden):
        services.create_dossier(
            actor=world.clerk,
            procedure=world.procedure,
            unit=world.unit,
            channel="direct",
            applicant={"full_name": "Trần Thị Bình"},
            received_at=timezone.now() - timedelta(days=3),
        )
    assert not Dossier.objects.exists()


def test_time_of_receipt_cannot_be_in_the_future(world):
    with pytest.raises(InvalidInput) as raised:
        services.create_dossier(
            actor=world.admin,
            procedure=world.procedure,
            unit=world.unit,
            channel="direct",
            applicant={"full_name": "Trần Thị Bình"},
            received_at=timezone.now() + timedelta(days=1),
        )
    assert "received_at" in raised.value.fields


@pytest.mark.parametrize("role", ["specialist", "approver", "inspector", "leader"])
def test_only_clerks_register_dossiers(world, role):
    with pytest.raises(ActionForbidden):
        new_dossier(world, actor=getattr(world, role))
    assert not Dossier.objects.exists()


def test_clerk_registers_only_for_own_unit(world):
    with pytest.raises(ActionForbidden):
        new_dossier(world, unit=world.other_unit, actor=world.clerk)


def test_unit_must_handle_the_procedure(world):
    procedure = ProcedureFactory(units=[world.other_unit])
    with pytest.raises(InvalidInput) as raised:
        new_dossier(world, procedure=procedure)
    assert "procedure" in raised.value.fields


def test_applicant_name_is_required(world):
    with pytest.raises(InvalidInput) as raised:
        services.create_dossier(
            actor=world.clerk,
            procedure=world.procedure,
            unit=world.unit,
            channel="direct",
            applicant={"full_name": " "},
        )
    assert [str(m) for m in raised.value.fields["applicant"]["full_name"]] == [
        "Trường này là bắt buộc."
    ]


def test_unknown_channel_is_invalid(world):
    with pytest.raises(InvalidInput) as raised:
        new_dossier(world, channel="pigeon")
    assert "channel" in raised.value.fields


def test_failed_creation_leaves_no_trace(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(DossierTransition.objects, "create", broken)
    with pytest.raises(RuntimeError):
        new_dossier(world, channel="direct")
    assert not Dossier.objects.exists()
    assert not DossierComponent.objects.exists()
    monkeypatch.undo()
    # the sequence number was not used up either
    assert new_dossier(world).code.endswith("-0001")


def test_failed_transition_leaves_no_trace(world, monkeypatch):
    dossier = dossier_in(world, S.SUBMITTED)
    # The log INSERT fails after the dossier UPDATE was sent.
    monkeypatch.setattr(DossierTransition._meta, "db_table", "missing_log_table")
    with pytest.raises(DatabaseError), transaction.atomic():
        services.accept_dossier(dossier=dossier, actor=world.clerk)
    monkeypatch.undo()
    saved = Dossier.objects.get(pk=dossier.pk)
    assert saved.state == S.SUBMITTED
    assert saved.due_at is None


def test_acting_on_a_stale_copy_is_a_concurrent_change(world):
    dossier = dossier_in(world, S.SUBMITTED)
    stale = Dossier.objects.get(pk=dossier.pk)
    services.accept_dossier(dossier=dossier, actor=world.clerk)
    with pytest.raises(ConcurrentChange):
        services.refuse_dossier(dossier=stale, actor=world.clerk, reason="Sai thẩm quyền")
    assert Dossier.objects.get(pk=dossier.pk).state == S.INTAKE
    assert not DossierTransition.objects.filter(dossier=dossier, action="refuse").exists()


def test_transition_log_is_append_only(world):
    dossier = dossier_in(world, S.INTAKE)
    entry = DossierTransition.objects.filter(dossier=dossier).first()
    entry.note = "sửa"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        DossierTransition.objects.filter(dossier=dossier).update(note="x")
    with pytest.raises(TypeError):
        DossierTransition.objects.filter(dossier=dossier).delete()


def test_state_cannot_be_assigned_directly(world):
    dossier = dossier_in(world, S.INTAKE)
    with pytest.raises(AttributeError):
        dossier.state = S.COMPLETED


def test_log_records_the_time_given(world):
    dossier = dossier_in(world, S.SUBMITTED)
    when = timezone.now() - timedelta(hours=1)
    services.accept_dossier(dossier=dossier, actor=world.clerk, at=when)
    assert DossierTransition.objects.get(dossier=dossier, action="accept").at == when


def test_unknown_action_is_invalid(world):
    dossier = dossier_in(world, S.SUBMITTED)
    with pytest.raises(InvalidInput):
        services.perform_transition(dossier=dossier, actor=world.admin, action="teleport")


def test_assignee_must_work_in_the_dossier_unit(world):
    dossier = dossier_in(world, S.SUBMITTED)
    outsider = UserFactory(role="clerk", unit=world.other_unit)
    with pytest.raises(InvalidInput):
        services.accept_dossier(dossier=dossier, actor=world.clerk, assignee=outsider)
