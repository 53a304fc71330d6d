import pytest

from procedures.models import Procedure, Unit
from tests.api_client import error_of

pytestmark = pytest.mark.django_db

PROCEDURE = {
    "code": "1.000001",
    "name": "Đăng ký khai sinh",
    "field": "Hộ tịch",
    "level": "commune",
    "processing_days": 3,
    "step_shares": {"intake": 10, "appraisal": 50, "approval": 20, "signing": 10, "delivery": 10},
    "fee": "0",
    "issues_result": True,
    "online_level": "full",
    "components": [{"name": "Tờ khai", "required": True}, {"name": "Giấy chứng sinh"}],
    "units": ["000.20.31.H40"],
}


def test_any_staff_member_lists_and_reads_units(api, world):
    response = api.as_(world.specialist).get("/api/v1/units/")
    assert response.status_code == 200
    codes = [u["code"] for u in response.json()["results"]]
    assert codes == ["000.20.31.H40", "000.21.31.H40"]
    detail = api.get("/api/v1/units/000.20.31.H40/").json()
    assert detail == {
        "code": "000.20.31.H40",
        "name": "Phường Hồng Gai",
        "block": "commune",
        "parent": None,
        "active": True,
    }


def test_administrator_creates_and_edits_a_unit(api, world):
    api.as_(world.admin)
    created = api.post(
        "/api/v1/units/",
        {
            "code": "000.22.31.H40",
            "name": "Phường Hà Lầm",
            "block": "commune",
            "parent": "000.20.31.H40",
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["parent"] == "000.20.31.H40"
    changed = api.patch(
        "/api/v1/units/000.22.31.H40/", {"name": "Phường Hà Lầm mới"}, format="json"
    )
    assert changed.status_code == 200
    assert Unit.objects.get(code="000.22.31.H40").name == "Phường Hà Lầm mới"


def test_staff_may_not_create_units(api, world):
    response = api.as_(world.clerk).post(
        "/api/v1/units/", {"code": "X.1", "name": "X", "block": "commune"}, format="json"
    )
    assert response.status_code == 403
    assert not Unit.objects.filter(code="X.1").exists()


def test_duplicate_unit_code_is_a_field_error(api, world):
    response = api.as_(world.admin).post(
        "/api/v1/units/",
        {"code": "000.20.31.H40", "name": "Trùng", "block": "commune"},
        format="json",
    )
    assert response.status_code == 400
    assert "code" in error_of(response)["fields"]


def test_a_unit_cannot_be_placed_under_its_own_child(api, world):
    api.as_(world.admin).post(
        "/api/v1/units/",
        {"code": "000.22.31.H40", "name": "Con", "block": "commune", "parent": "000.20.31.H40"},
        format="json",
    )
    response = api.patch("/api/v1/units/000.20.31.H40/", {"parent": "000.22.31.H40"}, format="json")
    assert response.status_code == 400
    assert "parent" in error_of(response)["fields"]
    assert Unit.objects.get(code="000.20.31.H40").parent is None


def test_unit_code_with_a_dash_is_rejected(api, world):
    response = api.as_(world.admin).post(
        "/api/v1/units/", {"code": "000-1", "name": "X", "block": "commune"}, format="json"
    )
    assert response.status_code == 400
    assert "code" in error_of(response)["fields"]


def test_procedure_detail_shows_components_shares_and_units(api, world):
    response = api.as_(world.clerk).get(f"/api/v1/procedures/{world.procedure.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["processing_days"] == 10
    assert body["step_shares"] == {
        "intake": 10,
        "appraisal": 50,
        "approval": 20,
        "signing": 10,
        "delivery": 10,
    }
    assert body["components"] == [
        {"name": "Tờ khai", "required": True},
        {"name": "Giấy tờ tùy thân", "required": True},
        {"name": "Giấy tờ khác", "required": False},
    ]
    assert sorted(body["units"]) == ["000.20.31.H40", "000.21.31.H40"]


def test_administrator_creates_a_procedure_with_components(api, world):
    response = api.as_(world.admin).post("/api/v1/procedures/", PROCEDURE, format="json")
    assert response.status_code == 201, response.json()
    procedure = Procedure.objects.get(code="1.000001")
    assert procedure.step_shares == (10, 50, 20, 10, 10)
    assert list(procedure.components.values_list("name", "required")) == [
        ("Tờ khai", True),
        ("Giấy chứng sinh", True),
    ]
    assert list(procedure.units.values_list("code", flat=True)) == ["000.20.31.H40"]


def test_step_shares_must_add_up_to_100(api, world):
    bad = {**PROCEDURE, "step_shares": {**PROCEDURE["step_shares"], "delivery": 20}}
    response = api.as_(world.admin).post("/api/v1/procedures/", bad, format="json")
    assert response.status_code == 400
    assert "step_shares" in error_of(response)["fields"]
    assert not Procedure.objects.filter(code="1.000001").exists()


def test_patching_components_replaces_the_list_but_not_existing_dossier_copies(api, world):
    from tests.dossiers import new_dossier

    dossier = new_dossier(world)
    response = api.as_(world.admin).patch(
        f"/api/v1/procedures/{world.procedure.code}/",
        {"components": [{"name": "Tờ khai mới", "required": True}]},
        format="json",
    )
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["components"]] == ["Tờ khai mới"]
    assert dossier.components.count() == 3


def test_staff_may_not_change_procedures(api, world):
    response = api.as_(world.approver).patch(
        f"/api/v1/procedures/{world.procedure.code}/", {"name": "Khác"}, format="json"
    )
    assert response.status_code == 403
