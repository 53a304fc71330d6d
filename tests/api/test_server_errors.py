"""Failures are answered in the error shape: a JSON 503 with Retry-After while the database is
unreachable, a JSON 500 for anything unexpected; never Django's HTML page on an API path."""

import socket
from unittest import mock

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError
from rest_framework.authtoken.models import Token

from tests.api_client import error_of


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_unreachable_database_answers_json_503_with_retry_after_then_recovers(api, world):
    token = Token.objects.create(user=world.clerk).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        for method, path, body in [
            ("get", "/api/v1/dossiers/", None),
            ("post", "/api/v1/auth/token/", {"username": "clerk", "password": "s3cret-pass-123"}),
            ("get", "/api/v1/public/dossiers/000.20.31.H40-260101-0001/?id_last4=1234", None),
        ]:
            response = getattr(api, method)(path, body, format="json")
            assert response.status_code == 503, (path, response.content)
            assert response["Retry-After"] == "5"
            assert error_of(response)["code"] == "unavailable"
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert api.get("/api/v1/dossiers/").status_code == 200


@pytest.mark.django_db
def test_database_failing_mid_request_is_json_503(api, world):
    failure = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=failure):
        response = api.as_(world.clerk).get("/api/v1/dossiers/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert (
        error_of(response)["message"] == "Dịch vụ tạm thời gián đoạn; vui lòng thử lại sau ít phút."
    )


@pytest.mark.django_db
def test_unexpected_error_on_an_api_path_is_json_500(api, world, settings):
    settings.DEBUG = False
    api.raise_request_exception = False
    with mock.patch(
        "procedures.api.views.DossierViewSet.list", side_effect=RuntimeError("bug"), create=True
    ):
        response = api.as_(world.clerk).get("/api/v1/dossiers/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "server_error"
