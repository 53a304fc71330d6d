import pytest
from django.core.management import call_command

from tests.api_client import error_of
from tests.dossiers import dossier_in

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_valid_credentials_and_works_on_every_endpoint(api, world):
    response = api.post(
        "/api/v1/auth/token/", {"username": "clerk", "password": "s3cret-pass-123"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/dossiers/").status_code == 200
    assert api.get("/api/v1/units/").status_code == 200
    assert api.get("/api/v1/procedures/").status_code == 200


def test_wrong_password_gives_400_in_the_error_shape(api, world):
    response = api.post(
        "/api/v1/auth/token/", {"username": "clerk", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


def test_no_credentials_is_401_with_a_token_challenge(api, world):
    response = api.get("/api/v1/dossiers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"


def test_bad_token_is_401(api, world):
    api.credentials(HTTP_AUTHORIZATION="Token deadbeef")
    response = api.get("/api/v1/dossiers/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_unknown_dossier_is_404_in_the_error_shape(api, world):
    response = api.as_(world.clerk).get("/api/v1/dossiers/000.20.31.H40-991231-0001/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_unknown_api_path_is_json_404(api, world, settings):
    settings.DEBUG = False
    response = api.as_(world.clerk).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_messages_are_vietnamese_by_default_and_english_on_request(api, world):
    dossier = dossier_in(world, "intake")
    url = f"/api/v1/dossiers/{dossier.code}/deliver/"
    vietnamese = error_of(api.as_(world.clerk).post(url, {}, format="json"))
    english = error_of(api.as_(world.clerk).post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en"))
    assert vietnamese["code"] == english["code"] == "transition_not_allowed"
    assert english["message"] == "This action is not allowed in the dossier's current state."
    assert vietnamese["message"] == "Thao tác này không được phép ở trạng thái hiện tại của hồ sơ."


def test_malformed_json_is_400_parse_error(api, world):
    dossier = dossier_in(world, "submitted")
    response = api.as_(world.clerk).post(
        f"/api/v1/dossiers/{dossier.code}/refuse/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_method_not_allowed_is_405_in_the_error_shape(api, world):
    response = api.as_(world.admin).delete("/api/v1/units/000.20.31.H40/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_schema_validates_and_documents_every_endpoint(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    import yaml

    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    transitions = [
        "accept", "refuse", "forward", "propose", "approve", "send_back", "sign", "deliver",
        "request_supplement", "resume", "reject", "withdraw",
    ]  # fmt: skip
    for name in transitions:
        operation = paths[f"/api/v1/dossiers/{{code}}/{name}/"]["post"]
        assert "requestBody" in operation
        assert {"200", "400", "401", "403", "404", "409"} <= set(operation["responses"])
    create = paths["/api/v1/dossiers/"]["post"]
    assert "201" in create["responses"]
    digitize = paths["/api/v1/dossiers/{code}/components/{component_id}/digitize/"]["post"]
    assert "413" in digitize["responses"]
    assert "multipart/form-data" in digitize["requestBody"]["content"]


def test_swagger_ui_is_served_without_a_cdn(client, world):
    client.force_login(world.clerk)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in html


def _token_client(api, user):
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return token


def test_a_deactivated_user_is_refused_at_once_although_tokens_are_remembered(api, world):
    _token_client(api, world.clerk)
    assert api.get("/api/v1/dossiers/").status_code == 200
    world.clerk.is_active = False
    world.clerk.save()
    response = api.get("/api/v1/dossiers/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_a_deleted_token_stops_working_at_once(api, world):
    token = _token_client(api, world.clerk)
    assert api.get("/api/v1/dossiers/").status_code == 200
    token.delete()
    assert api.get("/api/v1/dossiers/").status_code == 401


def test_a_new_role_applies_to_the_next_request(api, world):
    _token_client(api, world.leader)
    dossier = dossier_in(world, "submitted")
    url = f"/api/v1/dossiers/{dossier.code}/accept/"
    assert api.post(url, {}, format="json").status_code == 403
    world.leader.role = "clerk"
    world.leader.save()
    assert api.post(url, {}, format="json").status_code == 200
