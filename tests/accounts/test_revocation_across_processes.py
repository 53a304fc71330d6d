"""Revocation holds in every process at once, without Redis (issue 10): two real gunicorn
servers on the same database, no REDIS_URL, a token revoked through one is refused by the other
on the very next request."""

import json
import os
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from tests.processes import start_gunicorn, stop
from tests.tasks.conftest import database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def call(base, path, *, method="GET", token=None, body=None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Token {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def two_servers(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CACHE_URL", "BROKER_URL"}
    }
    env.update(DATABASE_URL=database_url(), DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings")
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(start_gunicorn(env=env, log_path=tmp_path / f"gunicorn-{name}.log"))
        yield [base for _process, base in servers]
    finally:
        for process, _base in servers:
            stop(process)


def test_a_token_revoked_in_one_process_is_refused_by_another_at_once(world, two_servers):
    a, b = two_servers
    token = Token.objects.create(user=world.clerk).key
    # Both processes have accepted the token (and would have kept it in memory before).
    assert call(a, "/api/v1/units/", token=token)[0] == 200
    assert call(b, "/api/v1/units/", token=token)[0] == 200

    assert call(a, "/api/v1/auth/token/revoke/", method="POST", token=token)[0] == 204

    assert call(b, "/api/v1/units/", token=token)[0] == 401
    assert call(a, "/api/v1/units/", token=token)[0] == 401


def test_a_user_deactivated_is_refused_by_every_process_at_once(world, two_servers):
    a, b = two_servers
    token = Token.objects.create(user=world.clerk).key
    assert call(a, "/api/v1/units/", token=token)[0] == 200
    assert call(b, "/api/v1/units/", token=token)[0] == 200

    world.clerk.is_active = False
    world.clerk.save()

    assert call(a, "/api/v1/units/", token=token)[0] == 401
    assert call(b, "/api/v1/units/", token=token)[0] == 401
