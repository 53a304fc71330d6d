"""API tokens expire, can be revoked, and die with a password change."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.api_client import error_of

pytestmark = pytest.mark.django_db

RIGHT = "s3cret-pass-123"


def get_token(api, username="clerk") -> str:
    response = api.post(
        "/api/v1/auth/token/", {"username": username, "password": RIGHT}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def units(api, key):
    return api.get("/api/v1/units/", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_expires_after_its_lifetime_and_a_new_one_is_issued(api, world, settings):
    settings.API_TOKEN_LIFETIME_HOURS = 8
    key = get_token(api)
    assert units(api, key).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(hours=7, minutes=59)):
        assert units(api, key).status_code == 200
        assert get_token(api) == key  # still valid: the same token
    with time_machine.travel(timezone.now() + timedelta(hours=8, minutes=1)):
        expired = units(api, key)
        assert expired.status_code == 401
        assert error_of(expired)["code"] == "token_expired"
        fresh = get_token(api)
        assert fresh != key
        assert units(api, fresh).status_code == 200


def test_revoking_a_token_refuses_it_at_once(api, world):
    key = get_token(api)

    response = api.post("/api/v1/auth/token/revoke/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 204
    assert units(api, key).status_code == 401
    assert not Token.objects.filter(user=world.clerk).exists()
    assert get_token(api) != key


def test_revoking_needs_credentials(api, world):
    response = api.post("/api/v1/auth/token/revoke/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_a_password_change_revokes_the_tokens(api, world):
    key = get_token(api)
    clerk = world.clerk
    clerk.set_password("another-s3cret-pass")
    clerk.save()

    assert units(api, key).status_code == 401


def test_other_changes_to_the_user_keep_the_token(api, world):
    key = get_token(api)
    world.clerk.first_name = "Lan"
    world.clerk.save()
    assert units(api, key).status_code == 200


def test_a_deactivated_user_is_refused_at_once(api, world):
    key = get_token(api)
    world.clerk.is_active = False
    world.clerk.save()
    assert units(api, key).status_code == 401
