from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from procedures.models import Dossier, DossierState, DossierTransition
from tests.api_client import error_of
from tests.dossiers import digitize_all, dossier_in, new_dossier
from tests.factories import UnitFactory, UserFactory
from tests.signing import result_pdf

S = DossierState
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db

APPLICANT = {
    "full_name": "Phạm Thị Dung",
    "id_number": "022190004567",
    "phone": "0987654321",
    "email": "dung@example.vn",
    "address": "Tổ 5, khu 3, Hồng Gai",
}


def pdf(name="scan.pdf", body=b"%PDF-1.4\n%test\n%%EOF\n"):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def post(api, user, dossier, action, data=None, **extra):
    return api.as_(user).post(
        f"/api/v1/dossiers/{dossier.code}/{action}/", data or {}, format="json", **extra
    )


# --- create ---------------------------------------------------------------------------------


def test_clerk_registers_a_counter_dossier(api, world):
    response = api.as_(world.clerk).post(
        "/api/v1/dossiers/",
        {
            "procedure": world.procedure.code,
            "unit": "000.20.31.H40",
            "channel": "direct",
            "applicant": APPLICANT,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"].startswith("000.20.31.H40-")
    assert body["state"] == "intake"
    assert body["step"] == 1
    assert body["national_status"] == 2
    assert body["applicant"] == APPLICANT
    assert body["due_at"] is not None
    assert [c["status"] for c in body["components"]] == ["pending", "pending", "pending"]
    assert Dossier.objects.get(code=body["code"]).created_by == world.clerk


def test_online_dossier_starts_submitted_without_a_deadline(api, world):
    response = api.as_(world.clerk).post(
        "/api/v1/dossiers/",
        {
            "procedure": world.procedure.code,
            "unit": "000.20.31.H40",
            "channel": "online",
            "applicant": APPLICANT,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["state"] == "submitted"
    assert response.json()["national_status"] == 1
    assert response.json()["due_at"] is None
    assert response.json()["transitions"] == ["accept", "refuse", "withdraw"]


@pytest.mark.parametrize("role", ["specialist", "approver", "leader", "inspector"])
def test_only_clerks_register_dossiers(api, world, role):
    response = api.as_(getattr(world, role)).post(
        "/api/v1/dossiers/",
        {
            "procedure": world.procedure.code,
            "unit": "000.20.31.H40",
            "channel": "direct",
            "applicant": APPLICANT,
        },
        format="json",
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert not Dossier.objects.exists()


def test_clerk_may_not_register_for_another_unit(api, world):
    response = api.as_(world.clerk).post(
        "/api/v1/dossiers/",
        {
            "procedure": world.procedure.code,
            "unit": "000.21.31.H40",
            "channel": "direct",
            "applicant": APPLICANT,
        },
        format="json",
    )
    assert response.status_code == 403


def test_received_at_only_from_administrators(api, world):
    earlier = "2025-03-03T09:00:00+07:00"
    payload = {
        "procedure": world.procedure.code,
        "unit": "000.20.31.H40",
        "channel": "direct",
        "applicant": APPLICANT,
        "received_at": earlier,
    }
    assert api.as_(world.clerk).post("/api/v1/dossiers/", payload, format="json").status_code == 403
    response = api.as_(world.admin).post("/api/v1/dossiers/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["received_at"] == earlier
    assert response.json()["code"].endswith("-250303-0001")
    assert response.json()["due_at"] == "2025-03-17T17:00:00+07:00"


def test_create_reports_every_invalid_field(api, world):
    response = api.as_(world.clerk).post(
        "/api/v1/dossiers/",
        {
            "procedure": "0.000000",
            "unit": "000.20.31.H40",
            "channel": "fax",
            "applicant": {"email": "x"},
        },
        format="json",
    )
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert set(fields) == {"procedure", "channel", "applicant"}
    assert set(fields["applicant"]) == {"full_name", "email"}


def test_unit_not_handling_the_procedure_is_a_field_error(api, world):
    unit = UnitFactory(code="000.23.31.H40")
    clerk = UserFactory(role="clerk", unit=unit)
    response = api.as_(clerk).post(
        "/api/v1/dossiers/",
        {
            "procedure": world.procedure.code,
            "unit": unit.code,
            "channel": "direct",
            "applicant": APPLICANT,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "procedure" in error_of(response)["fields"]


# --- the whole path -------------------------------------------------------------------------


def test_whole_path_through_the_five_steps_by_the_right_roles(api, world):
    created = (
        api.as_(world.clerk)
        .post(
            "/api/v1/dossiers/",
            {
                "procedure": world.procedure.code,
                "unit": "000.20.31.H40",
                "channel": "online",
                "applicant": APPLICANT,
            },
            format="json",
        )
        .json()
    )
    code = created["code"]
    dossier = Dossier.objects.get(code=code)

    assert post(api, world.clerk, dossier, "accept").json()["state"] == "intake"
    components = created["components"]
    scanned = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{code}/components/{components[0]['id']}/digitize/",
        {"file": pdf()},
        format="multipart",
    )
    assert scanned.status_code == 200, scanned.json()
    first = scanned.json()["components"][0]
    assert first["status"] == "scanned"
    assert first["file"]["content_type"] == "application/pdf"
    assert len(first["file"]["sha256"]) == 64
    reused = api.post(
        f"/api/v1/dossiers/{code}/components/{components[1]['id']}/digitize/",
        {"reused_from": "KHO-00012345"},
        format="json",
    )
    assert reused.json()["components"][1]["status"] == "reused"

    assert (
        post(api, world.clerk, dossier, "forward", {"assignee": "specialist"}).json()["state"]
        == "appraisal"
    )
    proposed = post(api, world.specialist, dossier, "propose", {"opinion": "Đủ điều kiện"})
    assert proposed.json()["state"] == "approval"
    assert proposed.json()["appraisal_opinion"] == "Đủ điều kiện"
    assert post(api, world.approver, dossier, "approve").json()["state"] == "signing"
    attached = api.as_(world.approver).post(
        f"/api/v1/dossiers/{code}/result/",
        {"file": pdf("kq.pdf", result_pdf())},
        format="multipart",
    )
    assert attached.status_code == 200
    assert attached.json()["result"]["file"]["original_name"] == "kq.pdf"
    signed = post(api, world.approver, dossier, "sign")
    assert signed.json()["state"] == "delivery"
    assert signed.json()["national_status"] == 9
    assert signed.json()["result"]["signed_by"] == "approver"
    done = post(api, world.clerk, dossier, "deliver", {"note": "Trả tại quầy"})
    assert done.json()["state"] == "completed"
    assert done.json()["national_status"] == 10
    assert done.json()["completed_at"] is not None

    history = api.as_(world.clerk).get(f"/api/v1/dossiers/{code}/history/").json()
    assert [(h["action"], h["source"], h["target"]) for h in history] == [
        ("create", "", "submitted"),
        ("accept", "submitted", "intake"),
        ("forward", "intake", "appraisal"),
        ("propose", "appraisal", "approval"),
        ("approve", "approval", "signing"),
        ("attach_result", "signing", "signing"),
        ("sign", "signing", "delivery"),
        ("deliver", "delivery", "completed"),
    ]
    assert history[-1]["actor"] == "clerk"
    assert history[-1]["note"] == "Trả tại quầy"
    assert history[3]["payload"] == {"opinion": "Đủ điều kiện"}


def test_supplement_request_and_resume_through_the_api(api, world):
    dossier = dossier_in(world, S.APPRAISAL)
    paused = post(api, world.specialist, dossier, "request_supplement", {"reason": "Thiếu bản sao"})
    assert paused.status_code == 200
    assert paused.json()["state"] == "supplement"
    assert paused.json()["step"] is None
    assert paused.json()["national_status"] == 5
    assert paused.json()["supplement_count"] == 1
    assert paused.json()["working_days_left"] is not None
    resumed = post(api, world.clerk, dossier, "resume")
    assert resumed.json()["state"] == "appraisal"


def test_send_back_and_reject_record_the_reason(api, world):
    dossier = dossier_in(world, S.APPROVAL)
    back = post(api, world.approver, dossier, "send_back", {"reason": "Làm rõ căn cứ"})
    assert back.json()["state"] == "appraisal"
    rejected = post(api, world.specialist, dossier, "reject", {"reason": "Không đủ điều kiện"})
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["decision_reason"] == "Không đủ điều kiện"


# --- forbidden moves ------------------------------------------------------------------------


def test_wrong_role_is_403_and_changes_nothing(api, world):
    dossier = dossier_in(world, S.APPROVAL)
    response = post(api, world.clerk, dossier, "approve")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert Dossier.objects.get(pk=dossier.pk).state == S.APPROVAL


def test_another_units_dossier_is_404_for_every_action(api, world):
    dossier = dossier_in(world, S.SUBMITTED)
    assert api.as_(world.other_clerk).get(f"/api/v1/dossiers/{dossier.code}/").status_code == 404
    assert post(api, world.other_clerk, dossier, "accept").status_code == 404
    assert api.get(f"/api/v1/dossiers/{dossier.code}/history/").status_code == 404
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED


def test_wrong_state_is_409(api, world):
    dossier = dossier_in(world, S.INTAKE)
    response = post(api, world.clerk, dossier, "deliver")
    assert response.status_code == 409
    assert error_of(response)["code"] == "transition_not_allowed"
    assert DossierTransition.objects.filter(dossier=dossier).count() == 2


def test_missing_reason_is_400_with_the_field(api, world):
    dossier = dossier_in(world, S.SUBMITTED)
    response = post(api, world.clerk, dossier, "refuse", {"reason": ""})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["reason"]
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED


def test_forward_with_an_undigitized_component_is_409(api, world):
    dossier = dossier_in(world, S.INTAKE)
    response = post(api, world.clerk, dossier, "forward")
    assert response.status_code == 409
    assert error_of(response)["code"] == "components_not_digitized"


def test_sign_without_the_result_document_is_409(api, world):
    dossier = dossier_in(world, S.SIGNING)
    response = post(api, world.approver, dossier, "sign")
    assert response.status_code == 409
    assert error_of(response)["code"] == "result_missing"


def test_assignee_of_the_wrong_role_is_a_field_error(api, world):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    response = post(api, world.clerk, dossier, "forward", {"assignee": "approver"})
    assert response.status_code == 400
    assert "assignee" in error_of(response)["fields"]
    unknown = post(api, world.clerk, dossier, "forward", {"assignee": "nobody"})
    assert unknown.status_code == 400


def test_transitions_listed_are_those_the_user_may_make_now(api, world):
    dossier = dossier_in(world, S.APPROVAL)
    url = f"/api/v1/dossiers/{dossier.code}/"
    assert api.as_(world.approver).get(url).json()["transitions"] == [
        "approve",
        "reject",
        "send_back",
    ]
    assert api.as_(world.clerk).get(url).json()["transitions"] == ["withdraw"]
    assert api.as_(world.leader).get(url).json()["transitions"] == []


# --- uploads --------------------------------------------------------------------------------


def test_corrupt_upload_is_rejected(api, world):
    dossier = dossier_in(world, S.INTAKE)
    component = dossier.components.first()
    response = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{dossier.code}/components/{component.pk}/digitize/",
        {
            "file": SimpleUploadedFile(
                "scan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
            )
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in error_of(response)["fields"]
    component.refresh_from_db()
    assert component.status == "pending"


def test_wrong_type_upload_is_rejected(api, world):
    dossier = dossier_in(world, S.INTAKE)
    component = dossier.components.first()
    response = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{dossier.code}/components/{component.pk}/digitize/",
        {"file": SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")},
        format="multipart",
    )
    assert response.status_code == 400


def test_upload_over_the_size_limit_is_413(api, world, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    dossier = dossier_in(world, S.INTAKE)
    component = dossier.components.first()
    response = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{dossier.code}/components/{component.pk}/digitize/",
        {"file": pdf(body=b"%PDF-1.4\n" + b"0" * 4096)},
        format="multipart",
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "file_too_large"


def test_digitize_needs_a_file_or_a_reference(api, world):
    dossier = dossier_in(world, S.INTAKE)
    component = dossier.components.first()
    response = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{dossier.code}/components/{component.pk}/digitize/", {}, format="json"
    )
    assert response.status_code == 400
    assert "file" in error_of(response)["fields"]


def test_component_of_another_dossier_is_404(api, world):
    dossier = dossier_in(world, S.INTAKE)
    other = dossier_in(world, S.INTAKE)
    response = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{dossier.code}/components/{other.components.first().pk}/digitize/",
        {"reused_from": "KHO-1"},
        format="json",
    )
    assert response.status_code == 404


def test_digitizing_after_intake_is_409(api, world):
    dossier = dossier_in(world, S.APPRAISAL)
    response = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{dossier.code}/components/{dossier.components.first().pk}/digitize/",
        {"reused_from": "KHO-1"},
        format="json",
    )
    assert response.status_code == 409


# --- masking --------------------------------------------------------------------------------


def test_personal_data_is_masked_outside_the_handling_unit_and_inspectors(api, world):
    dossier = dossier_in(world, S.INTAKE)
    url = f"/api/v1/dossiers/{dossier.code}/"
    clear = api.as_(world.clerk).get(url).json()["applicant"]
    assert clear["id_number"] == "022090001234"
    assert api.as_(world.inspector).get(url).json()["applicant"] == clear
    masked = api.as_(world.leader).get(url).json()["applicant"]
    assert masked["full_name"] == "Nguyễn Văn An"
    assert masked["id_number"] == "*********234"
    assert masked["phone"] == "*******678"
    assert masked["address"].endswith("ong") and masked["address"].startswith("****")
    assert api.as_(world.admin).get(url).json()["applicant"]["id_number"] == "*********234"


def test_provincial_leader_reads_child_units_but_staff_of_a_sibling_do_not(api, world):
    province = UnitFactory(code="000.00.00.H40", block="department")
    world.unit.parent = province
    world.unit.save()
    leader = UserFactory(role="leader", unit=province)
    dossier = dossier_in(world, S.INTAKE)
    assert api.as_(leader).get(f"/api/v1/dossiers/{dossier.code}/").status_code == 200
    assert api.as_(world.other_clerk).get(f"/api/v1/dossiers/{dossier.code}/").status_code == 404


# --- list, filters, pagination --------------------------------------------------------------


def codes(response):
    assert response.status_code == 200, response.json()
    return [row["code"] for row in response.json()["results"]]


def test_list_shows_only_the_users_units(api, world):
    mine = dossier_in(world, S.INTAKE)
    new_dossier(world, unit=world.other_unit, actor=world.other_clerk)
    assert codes(api.as_(world.clerk).get("/api/v1/dossiers/")) == [mine.code]


def test_filters(api, world):
    now = timezone.now()
    old = new_dossier(world, channel="direct", at=now - timedelta(days=40))
    online = dossier_in(world, S.SUBMITTED)
    appraisal = dossier_in(world, S.APPRAISAL)
    other = new_dossier(world, unit=world.other_unit, actor=world.other_clerk, channel="postal")
    api.as_(world.admin)
    get = lambda **params: set(codes(api.get("/api/v1/dossiers/", params)))  # noqa: E731
    assert get(state="submitted") == {online.code}
    assert get(state=["submitted", "appraisal"]) == {online.code, appraisal.code}
    assert get(unit="000.21.31.H40") == {other.code}
    assert get(procedure=world.procedure.code) == {
        old.code,
        online.code,
        appraisal.code,
        other.code,
    }
    assert get(procedure="0.000000") == set()
    assert get(channel="postal") == {other.code}
    assert get(overdue="true") == {old.code}
    assert old.code not in get(overdue="false")
    assert get(received_before=(now - timedelta(days=30)).isoformat()) == {old.code}
    assert old.code not in get(received_after=(now - timedelta(days=30)).isoformat())
    assert get(due_before=(now - timedelta(days=1)).isoformat()) == {old.code}
    assert get(q=online.code) == {online.code}
    assert get(q=online.code[:-2]) >= {online.code}
    assert get(q="văn an") == {old.code, online.code, appraisal.code, other.code}
    assert get(q="Trần") == set()


@pytest.mark.parametrize(
    "params",
    [
        {"state": "bogus"},
        {"channel": "fax"},
        {"overdue": "maybe"},
        {"received_after": "yesterday"},
        {"due_before": "2025-13-45"},
        {"ordering": "applicant"},
        {"page_size": "0"},
        {"page_size": "1000"},
        {"cursor": "not-a-cursor"},
    ],
)
def test_bad_list_parameters_are_400_with_the_field(api, world, params):
    response = api.as_(world.clerk).get("/api/v1/dossiers/", params)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(params)


def test_cursor_pagination_walks_forward_and_back_without_overlap(api, world):
    start = timezone.now() - timedelta(hours=10)
    made = [new_dossier(world, at=start + timedelta(minutes=i)).code for i in range(7)]
    api.as_(world.clerk)
    first = api.get("/api/v1/dossiers/", {"page_size": 3}).json()
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    pages = [[r["code"] for r in page["results"]] for page in (first, second, third)]
    assert pages == [made[6:3:-1], made[3:0:-1], made[0:1]]
    assert third["next"] is None
    back = api.get(third["previous"]).json()
    assert [r["code"] for r in back["results"]] == pages[1]
    assert api.get(back["previous"]).json()["results"] == first["results"]


def test_ordering_by_due_date_puts_undated_dossiers_last(api, world):
    start = datetime(2025, 3, 3, 9, 0, tzinfo=HCM)
    early = new_dossier(world, channel="direct", at=start)
    later = new_dossier(world, channel="direct", at=start + timedelta(days=7))
    undated = [new_dossier(world, at=start + timedelta(days=i)) for i in range(3)]
    api.as_(world.clerk)
    seen, url = [], "/api/v1/dossiers/?ordering=due_at&page_size=2"
    while url:
        page = api.get(url).json()
        seen += [r["code"] for r in page["results"]]
        url = page["next"]
    assert seen[:2] == [early.code, later.code]
    assert sorted(seen[2:]) == sorted(d.code for d in undated)
    assert len(seen) == 5
    descending = codes(api.get("/api/v1/dossiers/", {"ordering": "-due_at", "page_size": 2}))
    assert descending == [later.code, early.code]


def test_list_query_count_does_not_grow_with_the_page(api, world, django_assert_max_num_queries):
    for _ in range(3):
        dossier_in(world, S.APPRAISAL)
    api.as_(world.clerk)
    with django_assert_max_num_queries(3):
        small = api.get("/api/v1/dossiers/", {"page_size": 3})
    for _ in range(12):
        dossier_in(world, S.APPRAISAL)
    with django_assert_max_num_queries(3):
        large = api.get("/api/v1/dossiers/", {"page_size": 15})
    assert len(small.json()["results"]) == 3
    assert len(large.json()["results"]) == 15


def test_detail_query_count_is_fixed(api, world, django_assert_max_num_queries):
    dossier = dossier_in(world, S.COMPLETED)
    api.as_(world.clerk)
    with django_assert_max_num_queries(6):
        response = api.get(f"/api/v1/dossiers/{dossier.code}/")
    assert response.status_code == 200


def test_outputs_hold_exactly_the_documented_fields(api, world):
    from procedures.api.serializers import DossierDetailSerializer, DossierListSerializer

    dossier = dossier_in(world, S.COMPLETED)
    api.as_(world.clerk)
    row = api.get("/api/v1/dossiers/").json()["results"][0]
    detail = api.get(f"/api/v1/dossiers/{dossier.code}/").json()
    assert list(row) == list(DossierListSerializer._declared_fields)
    assert list(detail) == list(DossierDetailSerializer._declared_fields)
    assert set(detail["components"][0]) == {
        "id", "name", "required", "status", "digitized", "file", "reused_from", "digitized_at"
    }  # fmt: skip
    assert detail["result"]["file"]["content_type"] == "application/pdf"


def test_field_errors_of_a_registration_are_vietnamese_and_english_on_request(api, world):
    body = {
        "procedure": "0.000000",
        "unit": "9.9",
        "channel": "direct",
        "applicant": {"full_name": None, "id_number": "022090001234"},
        "received_at": "30/11/2026",
    }
    fields = error_of(api.as_(world.clerk).post("/api/v1/dossiers/", body, format="json"))["fields"]
    assert fields["procedure"] == ["Không có thủ tục mã 0.000000."]
    assert fields["unit"] == ["Không có đơn vị mã 9.9."]
    assert fields["applicant"]["full_name"] == ["Trường này không được để trống (null)."]
    assert fields["received_at"][0].startswith("Ngày giờ sai định dạng.")
    english = api.as_(world.clerk).post(
        "/api/v1/dossiers/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    fields = error_of(english)["fields"]
    assert fields["unit"] == ["No unit has the code 9.9."]
    assert fields["applicant"]["full_name"] == ["This field may not be null."]


def test_the_history_labels_each_entry_in_the_requests_language(api, world):
    dossier = dossier_in(world, S.DELIVERY)
    url = f"/api/v1/dossiers/{dossier.code}/history/"
    vietnamese = {h["action"]: h["label"] for h in api.as_(world.clerk).get(url).json()}
    english = {
        h["action"]: h["label"]
        for h in api.as_(world.clerk).get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    }
    assert vietnamese["attach_result"] == "Đính kèm kết quả"
    assert vietnamese["create"] == "Đăng ký hồ sơ"
    assert vietnamese["sign"] == "Ký số kết quả"
    assert english["attach_result"] == "Attach the result"
    assert english["sign"] == "Sign the result"
