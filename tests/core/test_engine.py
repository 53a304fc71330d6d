"""The transition engine: what a transition changes is what is saved, with its log row, all or
nothing."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.utils import timezone

from core import engine
from core.errors import ConcurrentChange, InvalidInput
from digitization.models import DigitizedFile
from digitization.services import attach_result
from inspections import services as inspection_services
from inspections.models import (
    FINDING_MACHINE,
    INSPECTION_MACHINE,
    Finding,
    Inspection,
    InspectionLog,
)
from procedures import services
from procedures.models import DOSSIER_MACHINE, Dossier, DossierState, DossierTransition
from tests.dossiers import ARGUMENTS, actor_for, digitize_all, dossier_in
from tests.factories import pdf_upload

S = DossierState


def columns(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def dossier_cases():
    """Every (action, source state) the dossier machine declares."""
    return [
        (name, source)
        for name, pairs in engine.declared_actions(Dossier, "state").items()
        for source, _target in sorted(pairs)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "source"), dossier_cases())
def test_no_dossier_transition_changes_a_field_it_does_not_save(world, action, source):
    dossier = dossier_in(world, source)
    if action == "forward":
        digitize_all(world, dossier)
    if action == "sign":
        attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload(dossier.code))
    dossier = Dossier.objects.get(pk=dossier.pk)
    moved = services.perform_transition(
        dossier=dossier,
        actor=actor_for(world, action, dossier),
        action=action,
        **ARGUMENTS.get(action, {}),
    )
    assert moved.state != dossier.state or action == "resume"
    assert columns(Dossier.objects.get(pk=dossier.pk)) == columns(moved)


@pytest.mark.django_db
def test_attaching_the_result_is_saved_and_logged_like_a_transition(world):
    dossier = dossier_in(world, S.SIGNING)
    attached = attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload("kq"))
    saved = Dossier.objects.get(pk=dossier.pk)
    assert columns(saved) == columns(attached)
    assert (saved.state, saved.version) == (S.SIGNING, dossier.version + 1)
    assert saved.updated_at > dossier.updated_at
    entry = DossierTransition.objects.filter(dossier=dossier).latest("at", "id")
    assert (entry.action, entry.source_state, entry.target_state, entry.actor) == (
        "attach_result",
        S.SIGNING,
        S.SIGNING,
        world.approver,
    )
    assert entry.payload == {"result_file": saved.result_file_id}


@pytest.mark.django_db
def test_attaching_the_result_to_a_stale_copy_is_a_conflict_that_leaves_nothing(world):
    dossier = dossier_in(world, S.SIGNING)
    first = attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload("v1"))
    files = DigitizedFile.objects.count()
    late = pdf_upload("v2")
    sha256 = hashlib.sha256(late.read()).hexdigest()
    with pytest.raises(ConcurrentChange):
        attach_result(dossier=dossier, actor=world.approver, upload=late)
    saved = Dossier.objects.get(pk=dossier.pk)
    assert (saved.result_file_id, saved.version) == (first.result_file_id, first.version)
    assert DossierTransition.objects.filter(dossier=dossier, action="attach_result").count() == 1
    assert DigitizedFile.objects.count() == files
    assert not default_storage.exists(f"digitized/{timezone.now():%Y/%m}/{sha256}")
    assert default_storage.exists(saved.result_file.file.name)


@pytest.mark.django_db
def test_only_the_machines_records_are_recorded(world):
    dossier = dossier_in(world, S.SIGNING)
    with pytest.raises(InvalidInput):
        DOSSIER_MACHINE.record(
            obj=dossier, actor=world.approver, action="sign", changes={"note": "x"}
        )
    assert Dossier.objects.get(pk=dossier.pk).version == dossier.version


@pytest.mark.django_db
def test_no_inspection_or_finding_transition_changes_a_field_it_does_not_save(world, started):
    finding = inspection_services.record_finding(
        inspection=started,
        actor=world.inspector,
        staff=world.clerk,
        kind="other",
        severity="minor",
        description="Thiếu phiếu kiểm soát",
    )
    checked = []
    for action, actor, note in [
        ("remedy", world.clerk, "Đã bổ sung"),
        ("reopen", world.inspector, "Chưa đủ"),
        ("remedy", world.clerk, "Đã bổ sung lần hai"),
        ("verify", world.inspector, ""),
    ]:
        finding = FINDING_MACHINE.apply(obj=finding, actor=actor, action=action, note=note)
        assert columns(Finding.objects.get(pk=finding.pk)) == columns(finding)
        checked.append(action)
    inspection = started
    for action, arguments in [("conclude", {"conclusion": "Có vi phạm"}), ("close", {})]:
        inspection = INSPECTION_MACHINE.apply(
            obj=inspection, actor=world.inspector, action=action, **arguments
        )
        assert columns(Inspection.objects.get(pk=inspection.pk)) == columns(inspection)
        checked.append(action)
    # "start" is covered by the `started` fixture, through the same engine:
    assert inspection.started_at is not None
    assert set(checked) | {"start"} == set(FINDING_MACHINE.names) | set(INSPECTION_MACHINE.names)


# --- all or nothing, with no outer transaction --------------------------------------------------


@pytest.fixture(params=[True, False], ids=["one-statement", "statements"])
def statement_mode(request, monkeypatch):
    """On PostgreSQL, both the single statement and the statements in a transaction."""
    monkeypatch.setattr(engine, "ONE_STATEMENT_ON_POSTGRESQL", request.param)
    return request.param


@pytest.mark.django_db(transaction=True)
def test_a_dossier_transition_whose_log_fails_leaves_nothing(world, monkeypatch, statement_mode):
    dossier = dossier_in(world, S.SUBMITTED)
    logged = DossierTransition.objects.filter(dossier=dossier).count()
    # The log INSERT fails after the dossier UPDATE was sent; no atomic() around the call.
    monkeypatch.setattr(DossierTransition._meta, "db_table", "missing_log_table")
    with pytest.raises(DatabaseError, match="missing_log_table"):
        services.accept_dossier(dossier=dossier, actor=world.clerk)
    monkeypatch.setattr(DossierTransition._meta, "db_table", "procedures_dossiertransition")
    saved = Dossier.objects.get(pk=dossier.pk)
    assert (saved.state, saved.version, saved.due_at) == (S.SUBMITTED, dossier.version, None)
    assert DossierTransition.objects.filter(dossier=dossier).count() == logged


@pytest.mark.django_db(transaction=True)
def test_attaching_the_result_whose_log_fails_leaves_nothing(world, monkeypatch, statement_mode):
    dossier = dossier_in(world, S.SIGNING)
    logged = DossierTransition.objects.filter(dossier=dossier).count()
    files = DigitizedFile.objects.count()
    monkeypatch.setattr(DossierTransition._meta, "db_table", "missing_log_table")
    with pytest.raises(DatabaseError, match="missing_log_table"):
        attach_result(dossier=dossier, actor=world.approver, upload=pdf_upload("kq"))
    monkeypatch.setattr(DossierTransition._meta, "db_table", "procedures_dossiertransition")
    saved = Dossier.objects.get(pk=dossier.pk)
    assert (saved.result_file_id, saved.version, saved.updated_at) == (
        None,
        dossier.version,
        dossier.updated_at,
    )
    assert DossierTransition.objects.filter(dossier=dossier).count() == logged
    assert DigitizedFile.objects.count() == files


@pytest.mark.django_db(transaction=True)
def test_an_inspection_transition_whose_log_fails_leaves_nothing(
    world, plan, monkeypatch, statement_mode
):
    inspection = plan()
    monkeypatch.setattr(InspectionLog._meta, "db_table", "missing_log_table")
    with pytest.raises(DatabaseError, match="missing_log_table"):
        inspection_services.start_inspection(inspection=inspection, actor=world.inspector)
    monkeypatch.setattr(InspectionLog._meta, "db_table", "inspections_inspectionlog")
    saved = Inspection.objects.get(pk=inspection.pk)
    assert (saved.state, saved.started_at) == ("planned", None)
    assert InspectionLog.objects.filter(inspection=inspection).count() == 1  # "create"


def test_the_engine_is_the_only_code_reading_django_fsm_internals():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readers = {
        str(path.relative_to(root))
        for folder in ("api", "core", "devtools", "digitization", "inspections", "procedures")
        for path in (root / folder).rglob("*.py")
        if "_django_fsm" in path.read_text(encoding="utf-8")
    }
    assert readers == {"core/engine.py"}
