"""Findings: recorded by the team while in progress, evidence once the inspection is concluded
(no edit, no delete), followed up open → remedied → verified or reopened."""

import pytest

from digitization.models import DigitizedFile
from inspections import services
from inspections.errors import FindingsAreEvidence, NotInProgress
from inspections.models import Finding, InspectionLog
from procedures.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from tests.dossiers import new_dossier
from tests.factories import pdf_upload
from tests.inspections.conftest import local

pytestmark = pytest.mark.django_db


def record(world, inspection, **overrides):
    data = {
        "inspection": inspection,
        "actor": world.inspector,
        "staff": world.clerk,
        "kind": "extra_papers",
        "severity": "moderate",
        "description": "Yêu cầu nộp thêm sổ hộ khẩu",
        "recommended_action": "Kiểm điểm, rút kinh nghiệm",
        "remedy_deadline": local(2025, 5, 15, 0, 0).date(),
    }
    data.update(overrides)
    return services.record_finding(**data)


@pytest.fixture
def finding(world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    return record(world, started, dossiers=[dossier])


@pytest.fixture
def concluded(world, started, finding):
    return services.conclude_inspection(
        inspection=started, actor=world.inspector, conclusion="Có vi phạm"
    )


def test_a_finding_names_the_staff_member_dossiers_kind_and_severity(world, finding):
    stored = Finding.objects.get(pk=finding.pk)
    assert (stored.staff, stored.kind, stored.severity) == (world.clerk, "extra_papers", "moderate")
    assert stored.follow_up == "open"
    assert stored.dossiers.count() == 1
    assert stored.created_by == world.inspector
    assert InspectionLog.objects.filter(action="record_finding", finding_number=stored.pk).exists()


def test_a_finding_is_recorded_only_while_the_inspection_is_in_progress(world, plan):
    with pytest.raises(NotInProgress):
        record(world, plan())


def test_a_finding_names_staff_and_dossiers_of_the_inspected_unit_only(world, started):
    theirs = new_dossier(world, unit=world.other_unit, actor=world.other_clerk)
    with pytest.raises(InvalidInput) as error:
        record(world, started, staff=world.other_clerk, dossiers=[theirs])
    assert set(error.value.fields) == {"staff", "dossiers"}


def test_an_unknown_kind_or_severity_is_refused(world, started):
    with pytest.raises(InvalidInput) as error:
        record(world, started, kind="gossip", severity="huge")
    assert set(error.value.fields) == {"kind", "severity"}


def test_the_team_edits_deletes_and_adds_evidence_while_in_progress(world, finding):
    changed = services.update_finding(
        finding=finding, actor=world.inspector, data={"severity": "serious"}, dossiers=[]
    )
    assert (changed.severity, changed.dossiers.count()) == ("serious", 0)
    with_file = services.add_evidence(finding=finding, actor=world.inspector, upload=pdf_upload())
    assert with_file.evidence.get().content_type == "application/pdf"
    services.delete_finding(finding=finding, actor=world.inspector)
    assert not Finding.objects.filter(pk=finding.pk).exists()
    assert InspectionLog.objects.get(action="delete_finding").finding_number == finding.pk


def test_someone_outside_the_team_cannot_edit(world, finding, second_inspector):
    with pytest.raises(ActionForbidden):
        services.update_finding(finding=finding, actor=second_inspector, data={"kind": "other"})


@pytest.mark.parametrize(
    "change",
    [
        lambda w, f: services.update_finding(
            finding=f, actor=w.inspector, data={"severity": "minor"}
        ),
        lambda w, f: services.update_finding(finding=f, actor=w.inspector, data={}, dossiers=[]),
        lambda w, f: services.delete_finding(finding=f, actor=w.inspector),
        lambda w, f: services.add_evidence(finding=f, actor=w.inspector, upload=pdf_upload()),
    ],
    ids=["edit", "dossiers", "delete", "evidence"],
)
def test_findings_are_read_only_once_the_inspection_is_concluded(world, finding, concluded, change):
    with pytest.raises(FindingsAreEvidence) as error:
        change(world, finding)
    assert error.value.code == "findings_are_evidence"
    stored = Finding.objects.get(pk=finding.pk)
    assert (stored.severity, stored.dossiers.count(), stored.evidence.count()) == ("moderate", 1, 0)
    assert DigitizedFile.objects.count() == 0


def test_follow_ups_go_on_after_conclusion(world, finding, concluded):
    remedied = services.remedy_finding(
        finding=finding, actor=world.clerk, note="Đã trả lại giấy tờ"
    )
    assert (remedied.follow_up, remedied.remedied_by) == ("remedied", world.clerk)
    assert remedied.remedy_note == "Đã trả lại giấy tờ"
    reopened = services.reopen_finding(finding=finding, actor=world.inspector, note="Chưa đủ")
    assert reopened.follow_up == "reopened"
    services.remedy_finding(finding=finding, actor=world.leader, note="Đã kiểm điểm")
    verified = services.verify_finding(finding=finding, actor=world.inspector)
    assert (verified.follow_up, verified.verified_by) == ("verified", world.inspector)
    log = InspectionLog.objects.filter(finding_number=finding.pk).order_by("at", "id")
    assert [(e.action, e.source_state, e.target_state) for e in log][1:] == [
        ("remedy", "open", "remedied"),
        ("reopen", "remedied", "reopened"),
        ("remedy", "reopened", "remedied"),
        ("verify", "remedied", "verified"),
    ]


def test_the_remedy_comes_from_the_staff_member_or_a_leader_of_the_unit(world, finding):
    for outsider in (world.specialist, world.inspector, world.other_clerk):
        with pytest.raises(ActionForbidden):
            services.remedy_finding(finding=finding, actor=outsider, note="Đã khắc phục")
    with pytest.raises(InvalidInput):
        services.remedy_finding(finding=finding, actor=world.clerk, note=" ")


def test_only_the_team_verifies_a_remedy(world, finding, second_inspector):
    services.remedy_finding(finding=finding, actor=world.clerk, note="Đã khắc phục")
    for outsider in (world.clerk, world.leader, second_inspector):
        with pytest.raises(ActionForbidden):
            services.verify_finding(finding=finding, actor=outsider)


def test_a_verified_finding_stays_verified(world, finding):
    services.remedy_finding(finding=finding, actor=world.clerk, note="Đã khắc phục")
    services.verify_finding(finding=finding, actor=world.inspector)
    for action in ("remedy", "verify", "reopen"):
        with pytest.raises(TransitionNotAllowed):
            services.perform_follow_up(
                finding=finding, actor=world.admin, action=action, note="Lần nữa"
            )
