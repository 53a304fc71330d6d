"""The inspection endpoints under /api/v1/inspections/ and /api/v1/accountability/."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from inspections import services
from inspections.models import Finding, Inspection
from procedures import services as dossier_services
from tests.api_client import error_of
from tests.dossiers import digitize_all, new_dossier
from tests.factories import UnitFactory, UserFactory
from tests.inspections.conftest import check_everything, local

pytestmark = pytest.mark.django_db

BASE = "/api/v1/inspections/"
PLAN = {
    "unit": "000.20.31.H40",
    "kind": "regular",
    "period_start": "2025-01-01",
    "period_end": "2025-03-31",
    "planned_start": "2025-04-01",
    "planned_end": "2025-04-30",
    "scope": "Thủ tục hộ tịch",
}


def pdf(name="bien-ban.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%evidence\n%%EOF\n", content_type="application/pdf")


@pytest.fixture
def dossiers(world):
    """Six counter dossiers of world.unit received in March 2025, the first two forwarded; on
    1 April the first four are past their due dates."""
    made = [
        new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0) + timedelta(days=i))
        for i in (0, 1, 2, 3, 21, 22)
    ]
    for dossier in made[:2]:
        digitize_all(world, dossier, at=dossier.received_at + timedelta(minutes=30))
        dossier_services.forward_dossier(
            dossier=dossier,
            actor=world.clerk,
            assignee=world.specialist,
            at=dossier.received_at + timedelta(hours=1),
        )
    return made


# --- planning and the state machine -----------------------------------------------------------


def test_an_inspector_plans_an_inspection_led_by_themselves(api, world, second_inspector):
    response = api.as_(world.inspector).post(
        BASE, {**PLAN, "members": ["inspector-2"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["lead"], body["members"]) == (
        "planned",
        "inspector",
        ["inspector-2"],
    )
    assert (body["unit"], body["period_end"], body["sample"]) == (
        "000.20.31.H40",
        "2025-03-31",
        None,
    )
    assert body["transitions"] == ["start"]
    assert Inspection.objects.get(pk=body["id"]).created_by == world.inspector


def test_a_clerk_cannot_plan_an_inspection(api, world):
    response = api.as_(world.clerk).post(BASE, PLAN, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_a_team_outside_the_units_authority_is_refused(api, world):
    UserFactory(username="far", role="inspector", unit=UnitFactory())
    response = api.as_(world.inspector).post(BASE, {**PLAN, "members": ["far"]}, format="json")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"members"}


def test_the_lead_runs_the_inspection_through_its_states(api, world, dossiers):
    inspection = api.as_(world.inspector).post(BASE, PLAN, format="json").json()
    url = f"{BASE}{inspection['id']}/"
    assert api.post(url + "start/", {}, format="json").json()["state"] == "in_progress"
    response = api.post(url + "conclude/", {}, format="json")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"conclusion"}
    response = api.post(url + "conclude/", {"conclusion": "Tốt"}, format="json")
    assert (response.status_code, response.json()["state"]) == (200, "concluded")
    again = api.post(url + "start/", {}, format="json")
    assert again.status_code == 409
    assert error_of(again)["code"] == "transition_not_allowed"
    assert api.post(url + "close/", {}, format="json").json()["state"] == "closed"


def test_a_planned_inspection_is_changed_with_patch_and_then_no_more(api, world, plan):
    inspection = plan()
    url = f"{BASE}{inspection.pk}/"
    response = api.as_(world.inspector).patch(url, {"kind": "unannounced"}, format="json")
    assert (response.status_code, response.json()["kind"]) == (200, "unannounced")
    services.start_inspection(inspection=inspection, actor=world.inspector)
    response = api.patch(url, {"scope": "Khác"}, format="json")
    assert response.status_code == 409


# --- visibility -------------------------------------------------------------------------------


def listed(api, user, url=BASE):
    response = api.as_(user).get(url)
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def test_an_unannounced_inspection_is_hidden_from_its_unit_until_it_starts(api, world, plan):
    inspection = plan(kind="unannounced")
    for staff in (world.clerk, world.leader, world.approver):
        assert listed(api, staff) == []
        assert api.as_(staff).get(f"{BASE}{inspection.pk}/").status_code == 404
    assert listed(api, world.inspector) == [inspection.pk]
    services.start_inspection(inspection=inspection, actor=world.inspector)
    for staff in (world.clerk, world.leader):
        assert listed(api, staff) == [inspection.pk]


def test_a_regular_inspection_is_announced_to_its_unit_when_planned(api, world, plan):
    inspection = plan()
    assert listed(api, world.clerk) == [inspection.pk]
    assert listed(api, world.other_clerk) == []


def test_inspectors_see_only_the_units_under_their_authority(api, world, plan, province):
    inspection = plan(kind="unannounced")
    far = UserFactory(username="far", role="inspector", unit=world.other_unit)
    assert listed(api, far) == []
    assert api.as_(far).get(f"{BASE}{inspection.pk}/").status_code == 404
    assert listed(api, province["inspector"]) == [inspection.pk]


def test_the_sample_and_checklists_are_for_inspectors_only(api, world, started, dossiers):
    services.draw_sample(inspection=started, actor=world.inspector, size=2, seed=1)
    response = api.as_(world.leader).get(f"{BASE}{started.pk}/sample/")
    assert response.status_code == 403
    assert api.as_(world.inspector).get(f"{BASE}{started.pk}/sample/").status_code == 200


# --- sample and checklist ---------------------------------------------------------------------


def test_drawing_with_the_same_seed_gives_the_same_sample(api, world, started, dossiers):
    url = f"{BASE}{started.pk}/sample/"
    first = api.as_(world.inspector).post(url, {"size": 3, "seed": 42}, format="json")
    assert first.status_code == 200, first.json()
    again = api.post(url, {"size": 3, "seed": 42}, format="json").json()
    codes = [row["dossier"] for row in first.json()["dossiers"]]
    assert [row["dossier"] for row in again["dossiers"]] == codes
    assert len(codes) == 3
    assert set(codes) <= {d.code for d in dossiers}
    shown = api.get(url).json()
    assert (shown["size"], shown["seed"], shown["overdue_share"]) == (3, 42, None)
    assert [row["dossier"] for row in shown["dossiers"]] == codes
    assert [item["item"] for item in shown["dossiers"][0]["checklist"]] == [
        "receipt_issued",
        "components_digitized",
        "on_time_or_apology",
        "result_digitized",
        "no_extra_papers",
    ]


def test_sample_parameters_are_validated(api, world, started):
    response = api.as_(world.inspector).post(
        f"{BASE}{started.pk}/sample/", {"size": 0, "overdue_share": 2}, format="json"
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"size", "overdue_share"}


def test_the_inspector_confirms_and_corrects_the_checklist(api, world, started, dossiers):
    sample = services.draw_sample(inspection=started, actor=world.inspector, size=1, seed=5)
    code = sample[0].dossier.code
    response = api.as_(world.inspector).post(
        f"{BASE}{started.pk}/sample/{code}/checklist/",
        {
            "items": [
                {"item": "receipt_issued", "value": True},
                {"item": "no_extra_papers", "value": False, "note": "Đòi thêm giấy xác nhận"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    items = {item["item"]: item for item in response.json()["checklist"]}
    assert (items["receipt_issued"]["checked"], items["receipt_issued"]["corrected"]) == (
        True,
        False,
    )
    papers = items["no_extra_papers"]
    assert (papers["prefilled"], papers["confirmed"], papers["corrected"]) == (True, False, True)
    assert papers["checked_by"] == "inspector"
    assert items["result_digitized"]["checked"] is False


def test_checking_a_dossier_outside_the_sample_answers_404(api, world, started, dossiers):
    services.draw_sample(inspection=started, actor=world.inspector, size=1, seed=5)
    unsampled = next(d for d in dossiers if not started.sample.filter(dossier=d).exists())
    response = api.as_(world.inspector).post(
        f"{BASE}{started.pk}/sample/{unsampled.code}/checklist/",
        {"items": [{"item": "receipt_issued", "value": True}]},
        format="json",
    )
    assert response.status_code == 404


# --- findings ---------------------------------------------------------------------------------


FINDING = {
    "staff": "clerk",
    "kind": "components_not_digitized",
    "severity": "moderate",
    "description": "Không số hóa thành phần hồ sơ",
    "recommended_action": "Số hóa bổ sung",
    "remedy_deadline": "2025-05-31",
}


def test_findings_are_edited_while_in_progress_and_evidence_after_conclusion(
    api, world, started, dossiers
):
    url = f"{BASE}{started.pk}/findings/"
    created = api.as_(world.inspector).post(
        url, {**FINDING, "dossiers": [dossiers[0].code]}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["staff"], body["follow_up"], body["editable"]) == ("clerk", "open", True)
    assert body["dossiers"] == [dossiers[0].code]
    finding_url = f"{BASE}findings/{body['id']}/"
    changed = api.patch(finding_url, {"severity": "serious"}, format="json")
    assert (changed.status_code, changed.json()["severity"]) == (200, "serious")
    with_file = api.post(finding_url + "evidence/", {"file": pdf()}, format="multipart")
    assert with_file.status_code == 200
    assert [f["content_type"] for f in with_file.json()["evidence"]] == ["application/pdf"]

    services.conclude_inspection(inspection=started, actor=world.inspector, conclusion="Vi phạm")
    for response in (
        api.patch(finding_url, {"severity": "minor"}, format="json"),
        api.delete(finding_url),
        api.post(finding_url + "evidence/", {"file": pdf("khac.pdf")}, format="multipart"),
    ):
        assert response.status_code == 409
        assert error_of(response)["code"] == "findings_are_evidence"
    stored = Finding.objects.get(pk=body["id"])
    assert (stored.severity, stored.evidence.count()) == ("serious", 1)
    assert api.get(finding_url).json()["editable"] is False

    remedied = api.as_(world.clerk).post(
        finding_url + "remedy/", {"note": "Đã số hóa"}, format="json"
    )
    assert (remedied.status_code, remedied.json()["follow_up"]) == (200, "remedied")
    verified = api.as_(world.inspector).post(finding_url + "verify/", {}, format="json")
    assert (verified.status_code, verified.json()["follow_up"]) == (200, "verified")


def test_a_finding_is_deleted_while_in_progress(api, world, started):
    finding = services.record_finding(
        inspection=started, actor=world.inspector, **{**FINDING, "staff": world.clerk}
    )
    response = api.as_(world.inspector).delete(f"{BASE}findings/{finding.pk}/")
    assert response.status_code == 204
    assert not Finding.objects.filter(pk=finding.pk).exists()


def test_staff_read_the_findings_about_themselves_only(api, world, started):
    about_clerk = services.record_finding(
        inspection=started, actor=world.inspector, **{**FINDING, "staff": world.clerk}
    )
    about_specialist = services.record_finding(
        inspection=started, actor=world.inspector, **{**FINDING, "staff": world.specialist}
    )
    findings = f"{BASE}findings/"
    assert listed(api, world.clerk, findings) == [about_clerk.pk]
    assert listed(api, world.specialist, findings) == [about_specialist.pk]
    assert api.as_(world.clerk).get(f"{findings}{about_specialist.pk}/").status_code == 404
    assert listed(api, world.approver, findings) == []
    assert set(listed(api, world.leader, findings)) == {about_clerk.pk, about_specialist.pk}
    assert listed(api, world.inspector, findings + "?staff=clerk") == [about_clerk.pk]
    assert listed(api, world.clerk, findings + "?mine=true") == [about_clerk.pk]
    clerk_view = api.as_(world.clerk).get(f"{findings}{about_clerk.pk}/").json()
    assert clerk_view["transitions"] == ["remedy"]


def test_a_member_of_staff_cannot_verify_their_own_remedy(api, world, started):
    finding = services.record_finding(
        inspection=started, actor=world.inspector, **{**FINDING, "staff": world.clerk}
    )
    services.remedy_finding(finding=finding, actor=world.clerk, note="Đã khắc phục")
    response = api.as_(world.clerk).post(f"{BASE}findings/{finding.pk}/verify/", {}, format="json")
    assert response.status_code == 403


def test_listing_findings_takes_a_fixed_number_of_queries(
    api, world, started, django_assert_max_num_queries
):
    for staff in (world.clerk, world.specialist, world.approver) * 3:
        services.record_finding(
            inspection=started, actor=world.inspector, **{**FINDING, "staff": staff}
        )
    api.as_(world.inspector)
    with django_assert_max_num_queries(8):
        response = api.get(f"{BASE}findings/")
    assert len(response.json()["results"]) == 9


def test_listing_inspections_takes_a_fixed_number_of_queries(
    api, world, plan, second_inspector, django_assert_max_num_queries
):
    for number in range(6):
        inspection = plan(members=[second_inspector])
        if number % 2:
            services.start_inspection(inspection=inspection, actor=world.inspector)
    api.as_(world.inspector)
    with django_assert_max_num_queries(5):
        response = api.get(BASE)
    assert len(response.json()["results"]) == 6


# --- accountability ---------------------------------------------------------------------------


@pytest.fixture
def april_first():
    with time_machine.travel(local(2025, 4, 1, 9, 0), tick=False):
        yield


MARCH = "?from=2025-03-01&to=2025-03-31"


def test_the_staff_report_counts_per_staff_member(api, world, dossiers, april_first):
    response = api.as_(world.inspector).get(f"/api/v1/accountability/staff/{MARCH}")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["unit"], body["from"], body["to"]) == (None, "2025-03-01", "2025-03-31")
    rows = {row["staff"]: row for row in body["results"]}
    assert set(rows) == {"clerk", "specialist"}
    assert rows["specialist"]["late_at_step"] == 2  # two forwarded dossiers, still in appraisal
    assert rows["specialist"]["late_by_step"]["appraisal"] == 2
    assert rows["clerk"]["dossiers_handled"] == 6
    assert rows["clerk"]["late_at_step"] == 2  # received 3 and 4 March, still at intake
    assert rows["clerk"]["average_hours_at_step"] == 1.0
    assert rows["clerk"]["findings"]["by_severity"] == {"minor": 0, "moderate": 0, "serious": 0}


def test_the_unit_report_counts_per_unit(api, world, dossiers, april_first):
    response = api.as_(world.leader).get(f"/api/v1/accountability/units/{MARCH}")
    assert response.status_code == 200, response.json()
    [row] = response.json()["results"]
    assert (row["unit"], row["dossiers_received"], row["late"], row["late_at_step"]) == (
        "000.20.31.H40",
        6,
        4,
        4,
    )


def test_late_dossiers_are_listed_with_the_step_and_person_that_held_them(
    api, world, dossiers, april_first
):
    response = api.as_(world.inspector).get(f"/api/v1/accountability/late-dossiers/{MARCH}")
    assert response.status_code == 200, response.json()
    rows = [(r["dossier"], r["late_step"], r["held_by"]) for r in response.json()["results"]]
    assert rows == [
        (dossiers[0].code, "appraisal", "specialist"),
        (dossiers[1].code, "appraisal", "specialist"),
        (dossiers[2].code, "intake", "clerk"),
        (dossiers[3].code, "intake", "clerk"),
    ]


def test_accountability_is_for_leaders_and_inspectors(api, world):
    for path in ("staff", "units", "late-dossiers"):
        response = api.as_(world.clerk).get(f"/api/v1/accountability/{path}/")
        assert response.status_code == 403


def test_accountability_refuses_a_unit_outside_authority_and_a_reversed_period(api, world):
    api.as_(world.inspector)
    response = api.get("/api/v1/accountability/staff/?unit=000.21.31.H40")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"unit"}
    response = api.get("/api/v1/accountability/units/?from=2025-03-31&to=2025-03-01")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"from"}


def test_another_units_inspector_sees_nothing_of_this_unit(api, world, dossiers, april_first):
    far = UserFactory(username="far", role="inspector", unit=world.other_unit)
    response = api.as_(far).get(f"/api/v1/accountability/staff/{MARCH}")
    assert response.json()["results"] == []


def test_the_staff_report_takes_a_fixed_number_of_queries(
    api, world, dossiers, april_first, django_assert_max_num_queries
):
    api.as_(world.inspector)
    with django_assert_max_num_queries(6):
        response = api.get(f"/api/v1/accountability/staff/{MARCH}")
    assert len(response.json()["results"]) == 2


def test_concluding_through_the_api_needs_a_checked_sample(api, world, started, dossiers):
    services.draw_sample(inspection=started, actor=world.inspector, size=2, seed=1)
    url = f"{BASE}{started.pk}/conclude/"
    response = api.as_(world.inspector).post(url, {"conclusion": "Xong"}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "checklist_unchecked"
    check_everything(started, world.inspector)
    assert api.post(url, {"conclusion": "Xong"}, format="json").status_code == 200


def test_the_log_is_for_the_inspectors(api, world, plan):
    started = services.start_inspection(inspection=plan(), actor=world.inspector)
    response = api.as_(world.inspector).get(f"{BASE}{started.pk}/history/")
    assert [(e["action"], e["source"], e["target"]) for e in response.json()] == [
        ("create", "", "planned"),
        ("start", "planned", "in_progress"),
    ]
    assert api.as_(world.clerk).get(f"{BASE}{started.pk}/history/").status_code == 403


def test_an_inspections_findings_are_listed_under_it(api, world, started, plan):
    finding = services.record_finding(
        inspection=started, actor=world.inspector, **{**FINDING, "staff": world.clerk}
    )
    response = api.as_(world.inspector).get(f"{BASE}{started.pk}/findings/")
    assert [row["id"] for row in response.json()] == [finding.pk]
    other = plan()
    assert api.get(f"{BASE}{other.pk}/findings/").json() == []


def test_late_dossiers_come_in_pages(api, world, dossiers, april_first):
    api.as_(world.inspector)
    first = api.get(f"/api/v1/accountability/late-dossiers/{MARCH}&page_size=3").json()
    assert len(first["results"]) == 3
    second = api.get(first["next"]).json()
    assert [r["dossier"] for r in second["results"]] == [dossiers[3].code]
    assert second["next"] is None
