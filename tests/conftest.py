import os
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation

from procedures.calendar import _calendar
from procedures.scoping import unit_tree
from tests.api_client import Client
from tests.browser import _chromium_driver, browser, chromium_missing  # noqa: F401  (fixtures)
from tests.factories import ProcedureFactory, UnitFactory, UserFactory
from tests.signing import (  # noqa: F401  (fixtures)
    _signing_settings,
    give_signing_credential,
    signing,
    signing_keys,
)

# In CI every test runs against the real services: a missing one is a failure, not a skip.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}

# DATABASE_REPLICA_URLS names the replica's copy of the real database, not of the test database:
# the processes tests start (gunicorn, Celery workers, the demo) use the primary only. This
# process keeps its replicas (settings are loaded), for tests/test_replica.py.
assert "default" in django_settings.DATABASES
os.environ.pop("DATABASE_REPLICA_URLS", None)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        message = "needs PostgreSQL: set DATABASE_URL=postgres://..."
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        message = "needs Redis: set REDIS_URL=redis://..."
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    if item.get_closest_marker("replica") and (message := replica_missing()):
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    if item.get_closest_marker("browser") and (message := chromium_missing()):
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)


def replica_missing() -> str | None:
    if connection.vendor != "postgresql" or not django_settings.DATABASE_REPLICAS:
        return (
            "needs a PostgreSQL streaming replica: `.ci/replica.sh start`, then "
            "DATABASE_URL=postgres://... DATABASE_REPLICA_URLS=postgres://postgres@127.0.0.1:5433/..."
        )
    return None


@pytest.fixture(autouse=True)
def _fresh_shared_values(request, settings, tmp_path):
    """Rolled-back tests must not leave a calendar or unit tree behind for the next one."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if not request.node.get_closest_marker("replica"):
        # A replica (DATABASE_REPLICA_URLS, as in CI) reads only what the primary committed:
        # every other test reads from the primary, inside its own transaction.
        settings.DATABASE_REPLICAS = []
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    translation.activate(settings.LANGUAGE_CODE)  # a request may have switched it
    shared = (_calendar, unit_tree)
    for value in shared:
        value._drop()
    yield
    for value in shared:
        value._drop()


@dataclass
class World:
    unit: object
    other_unit: object
    procedure: object
    clerk: object
    specialist: object
    approver: object
    inspector: object
    leader: object
    admin: object
    other_clerk: object


@pytest.fixture
def world(db, signing_keys):  # noqa: F811  (the fixture imported above)
    unit = UnitFactory(code="000.20.31.H40", name="Phường Hồng Gai", block="commune")
    other_unit = UnitFactory(code="000.21.31.H40", name="Phường Bãi Cháy", block="commune")
    procedure = ProcedureFactory(units=[unit, other_unit])
    approver = UserFactory(username="approver", role="approver", unit=unit)
    give_signing_credential(approver, signing_keys)  # signs results with the session's test CA
    return World(
        unit=unit,
        other_unit=other_unit,
        procedure=procedure,
        clerk=UserFactory(username="clerk", role="clerk", unit=unit),
        specialist=UserFactory(username="specialist", role="specialist", unit=unit),
        approver=approver,
        inspector=UserFactory(username="inspector", role="inspector", unit=unit),
        leader=UserFactory(username="leader", role="leader", unit=unit),
        admin=UserFactory(username="admin", role="admin", unit=None, is_superuser=True),
        other_clerk=UserFactory(username="other-clerk", role="clerk", unit=other_unit),
    )


@pytest.fixture
def api():
    """An API client; `api.as_(user)` authenticates as that user."""
    return Client()
