"""Bad input is refused at the edge with the one error shape, never a 500: NUL bytes, deep JSON,
oversized bodies, out-of-range dates and cursors; Vietnamese text is compared in NFC."""

import base64
import json
import unicodedata

import pytest
from django.test import Client as DjangoClient

from tests.api_client import error_of
from tests.dossiers import dossier_in, new_dossier
from tests.factories import regular_inspection

pytestmark = pytest.mark.django_db

NUL = "\u0000"


def assert_nul_refused(response, *path):
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    node = error["fields"]
    for part in path:
        node = node[part]
    assert node == ["Không được chứa ký tự rỗng (NUL)."]


# --- NUL bytes ---------------------------------------------------------------------------------


def registration(world, **overrides):
    body = {
        "procedure": world.procedure.code,
        "unit": world.unit.code,
        "channel": "direct",
        "applicant": {"full_name": "Nguyễn Văn An", "id_number": "001099012345"},
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize("field", ["unit", "procedure"])
def test_nul_in_a_dossier_lookup_field_is_400_naming_it(api, world, field):
    body = registration(world, **{field: f"x{NUL}"})
    response = api.as_(world.clerk).post("/api/v1/dossiers/", body, format="json")
    assert_nul_refused(response, field)


def test_nul_in_nested_applicant_name_is_400_naming_the_nested_field(api, world):
    body = registration(world, applicant={"full_name": f"An{NUL}", "id_number": "001099012345"})
    response = api.as_(world.clerk).post("/api/v1/dossiers/", body, format="json")
    assert_nul_refused(response, "applicant", "full_name")


def test_nul_in_assignee_is_400(api, world):
    dossier = dossier_in(world, "intake")
    from tests.dossiers import digitize_all

    digitize_all(world, dossier)
    response = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{dossier.code}/forward/", {"assignee": NUL}, format="json"
    )
    assert_nul_refused(response, "assignee")
    dossier.refresh_from_db()
    assert dossier.state == "intake"


def test_nul_in_unit_parent_is_400(api, world):
    body = {"code": "X.1", "name": "Xã Mới", "block": "commune", "parent": f"{NUL}"}
    response = api.as_(world.admin).post("/api/v1/units/", body, format="json")
    assert_nul_refused(response, "parent")


def test_nul_in_procedure_units_is_400_naming_the_item(api, world):
    response = api.as_(world.admin).patch(
        f"/api/v1/procedures/{world.procedure.code}/",
        {"units": [world.unit.code, f"a{NUL}b"]},
        format="json",
    )
    assert_nul_refused(response, "units", "1")


@pytest.mark.parametrize("field", ["unit", "lead"])
def test_nul_in_an_inspection_lookup_field_is_400(api, world, field):
    body = {
        "unit": world.unit.code,
        "kind": "regular",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        field: NUL,
    }
    response = api.as_(world.inspector).post("/api/v1/inspections/", body, format="json")
    assert_nul_refused(response, field)


def test_nul_in_finding_dossiers_is_400(api, world):
    inspection = regular_inspection(world)
    response = api.as_(world.inspector).post(
        f"/api/v1/inspections/{inspection.pk}/findings/",
        {
            "staff": world.clerk.username,
            "dossiers": [NUL],
            "kind": "other",
            "severity": "minor",
            "description": "x",
        },
        format="json",
    )
    assert_nul_refused(response, "dossiers", "0")


def test_nul_in_a_query_parameter_is_400_naming_it(api, world):
    response = api.as_(world.clerk).get("/api/v1/dossiers/", {"q": f"Ng{NUL}"})
    assert_nul_refused(response, "q")


def test_nul_in_the_public_url_is_400_before_any_lookup(world):
    response = DjangoClient().get("/api/v1/public/dossiers/%00/?id_last4=2345")
    assert_nul_refused(response, "path")


def test_nul_in_a_form_body_is_400(api, world):
    response = api.post("/api/v1/auth/token/", {"username": f"clerk{NUL}", "password": "x"})
    assert_nul_refused(response, "username")


def test_nul_in_the_authorization_header_is_400(api, world):
    response = api.get("/api/v1/dossiers/", HTTP_AUTHORIZATION=f"Token abc{NUL}")
    assert_nul_refused(response, "Authorization")


# --- JSON depth and body size ------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_to_the_token_endpoint_is_400_parse_error(world, depth):
    response = DjangoClient().post(
        "/api/v1/auth/token/", nested(depth), content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_json_nested_within_the_limit_reaches_validation(world):
    body = json.dumps({"username": json.loads(nested(31)), "password": "x"})
    response = DjangoClient().post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


class UnreadableStream:
    """A request body that fails the test if anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    readline = read


def test_body_over_the_limit_is_413_from_content_length_without_reading_it(world, settings):
    settings.API_BODY_MAX_BYTES = 1000
    request = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/auth/token/",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(20 * 1024 * 1024),
        "wsgi.input": UnreadableStream(),
    }
    response = DjangoClient().request(**request)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_upload_over_the_limit_is_413_from_content_length_without_reading_it(api, world, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    dossier = dossier_in(world, "intake")
    component = dossier.components.first()
    request = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/api/v1/dossiers/{dossier.code}/components/{component.pk}/digitize/",
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
        "CONTENT_LENGTH": str(1024 * 1024 * 1024),
        "wsgi.input": UnreadableStream(),
    }
    response = api.as_(world.clerk).request(**request)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_body_within_the_limit_is_served(api, world, settings):
    settings.API_BODY_MAX_BYTES = 1000
    response = api.post(
        "/api/v1/auth/token/", {"username": "clerk", "password": "s3cret-pass-123"}, format="json"
    )
    assert response.status_code == 200


# --- dates, cursors, reports, OPTIONS ----------------------------------------------------------


@pytest.mark.parametrize("name", ["received_after", "received_before", "due_before"])
@pytest.mark.parametrize(
    "value", ["2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00-23:59", "9999-12-31T23:00:00-10:00"]
)
def test_datetime_filter_out_of_range_is_400_naming_it(api, world, name, value):
    response = api.as_(world.clerk).get("/api/v1/dossiers/", {name: value})
    assert response.status_code == 400
    assert name in error_of(response)["fields"]


def test_datetime_filter_with_a_valid_offset_filters(api, world):
    new_dossier(world)
    response = api.as_(world.clerk).get(
        "/api/v1/dossiers/", {"received_after": "2000-01-01T00:00:00+15:59"}
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def cursor(**token) -> str:
    raw = json.dumps(token).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        {"o": "-received_at", "v": [1], "i": 1, "d": "n"},
        {"o": "-received_at", "v": {"a": 1}, "i": 1, "d": "n"},
        {"o": "-received_at", "v": True, "i": 1, "d": "n"},
        {"o": "-received_at", "v": 12.5, "i": 1, "d": "n"},
        {"o": "-received_at", "v": "2026-01-01T00:00:00", "i": 1, "d": "n"},
        {"o": "-received_at", "v": "9999-12-31T23:00:00-10:00", "i": 1, "d": "n"},
        {"o": "-received_at", "v": "2026-01-01T00:00:00+07:00", "i": [1], "d": "n"},
        {"o": "-received_at", "v": "2026-01-01T00:00:00+07:00", "i": True, "d": "n"},
        {"o": "-received_at", "v": "2026-01-01T00:00:00+07:00", "i": 2**70, "d": "n"},
        {"o": "-received_at", "v": "2026-01-01T00:00:00+07:00", "i": 1, "d": ["n"]},
        {"o": ["-received_at"], "v": "2026-01-01T00:00:00+07:00", "i": 1, "d": "n"},
    ],
)
def test_cursor_with_a_value_of_the_wrong_type_is_400(api, world, token):
    response = api.as_(world.clerk).get("/api/v1/dossiers/", {"cursor": cursor(**token)})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"cursor": ["Con trỏ phân trang không hợp lệ."]}


def test_cursor_that_is_not_an_object_is_400(api, world):
    raw = base64.urlsafe_b64encode(b"[1, 2]").decode()
    response = api.as_(world.clerk).get("/api/v1/dossiers/", {"cursor": raw})
    assert response.status_code == 400


def test_cursor_from_a_next_link_still_pages(api, world):
    for _ in range(3):
        new_dossier(world)
    first = api.as_(world.clerk).get("/api/v1/dossiers/", {"page_size": 2}).json()
    second = api.get(first["next"])
    assert second.status_code == 200
    assert len(second.json()["results"]) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accountability/staff/",
        "/api/v1/accountability/units/",
        "/api/v1/accountability/late-dossiers/",
    ],
)
@pytest.mark.parametrize(
    "period",
    [{"from": "9999-12-01"}, {"from": "9999-12-01", "to": "9999-12-31"}, {"to": "0001-01-01"}],
)
def test_accountability_period_at_the_calendar_edges_is_answered_without_error(
    api, world, path, period
):
    response = api.as_(world.leader).get(path, period)
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert error_of(response)["fields"]


def test_options_on_a_metrics_url_asking_for_csv_describes_it_in_json(api, world):
    response = api.as_(world.leader).options("/api/v1/metrics/units/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"]


# --- NFC ---------------------------------------------------------------------------------------


def test_name_sent_in_nfd_is_stored_in_nfc_and_found_by_either_form(api, world):
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hồng")
    body = registration(world, applicant={"full_name": nfd, "id_number": "001099012345"})
    created = api.as_(world.clerk).post("/api/v1/dossiers/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["applicant"]["full_name"] == unicodedata.normalize("NFC", nfd)
    for query in (
        unicodedata.normalize("NFC", "Thị Hồng"),
        unicodedata.normalize("NFD", "Thị Hồng"),
    ):
        found = api.get("/api/v1/dossiers/", {"q": query}).json()["results"]
        assert [row["code"] for row in found] == [created.json()["code"]]


# --- nullable fields in the schema -------------------------------------------------------------


def test_schema_declares_the_follow_up_people_nullable(api, world):
    schema = api.as_(world.admin).get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schema["Finding"]["properties"]["remedied_by"].get("nullable") is True
    assert schema["Finding"]["properties"]["verified_by"].get("nullable") is True
    assert schema["ChecklistItem"]["properties"]["checked_by"].get("nullable") is True
