"""Read replicas (config/routers.py) against a real PostgreSQL streaming replica.

`.ci/run` starts one (`.ci/replica.sh start`: pg_basebackup -R, a second instance on port 5433)
and sets DATABASE_REPLICA_URLS; the test database the primary creates is streamed to it. The data
each test reads is committed on the primary (transactional tests) and waited for on the replica.
Which database served a request is read from each connection's queries; the replica's is checked
to be a standby (pg_is_in_recovery()).
"""

import math
import os
import socket
import subprocess
import time
from contextlib import suppress
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from psycopg import OperationalError

from config import routers
from digitization.metrics import recompute_metrics
from tests.api_client import Client
from tests.dossiers import new_dossier
from tests.factories import UserFactory, regular_inspection

pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases="__all__")]

ROOT = Path(__file__).resolve().parent.parent
REPLICA_SCRIPT = ROOT / ".ci" / "replica.sh"


@pytest.fixture
def replica(settings):
    """The first replica's alias, caught up and trusted whatever its delay (each test sets the
    delay it means); the lag reading is taken afresh for every request."""
    alias = settings.DATABASE_REPLICAS[0]
    settings.DATABASE_REPLICA_MAX_LAG = 3600
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    routers.health.forget()
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,), "DATABASE_REPLICA_URLS must name a standby"
    yield alias
    routers.health.forget()


def caught_up(alias, timeout=120):
    """Wait until the replica has replayed everything the primary has written so far."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with connections[alias].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, f"{alias} did not replay {target} in {timeout} s"
            time.sleep(0.05)


class Served:
    """The queries each database ran during a block (primary and replica)."""

    def __init__(self, alias):
        self.primary = CaptureQueriesContext(connections[DEFAULT_DB_ALIAS])
        self.replica = CaptureQueriesContext(connections[alias])

    def __enter__(self):
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def _reading(captured, table):
        return [q["sql"] for q in captured.captured_queries if f'"{table}"' in q["sql"]]

    def by_replica(self, table):
        return self._reading(self.replica, table)

    def by_primary(self, table):
        return self._reading(self.primary, table)


class paused_replay:
    """The replica receives the primary's WAL but applies none of it until the block ends."""

    def __init__(self, alias):
        self.alias = alias

    def __enter__(self):
        with connections[self.alias].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_pause()")
        return self

    def __exit__(self, *exc):
        with connections[self.alias].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")


def codes(response):
    assert response.status_code == 200, response.content[:500]
    return {row["code"] for row in response.json()["results"]}


# --- routing ------------------------------------------------------------------------------------


def test_leaders_and_inspectors_heavy_reads_are_served_by_the_replica(world, replica):
    dossiers = {new_dossier(world).code for _ in range(3)}
    recompute_metrics()
    caught_up(replica)
    for user in (world.leader, world.inspector):
        api = Client().as_(user)
        with Served(replica) as served:
            assert codes(api.get("/api/v1/dossiers/")) == dossiers
            one = sorted(dossiers)[0]
            detail = api.get(f"/api/v1/dossiers/{one}/")
            assert (detail.status_code, detail.json()["code"]) == (200, one)
        assert served.by_replica("procedures_dossier"), user.role
        assert not served.by_primary("procedures_dossier"), served.primary.captured_queries

        month = {"from": date.today().replace(day=1).isoformat(), "to": date.today().isoformat()}
        with Served(replica) as served:
            metrics = api.get("/api/v1/metrics/units/", month)
            assert metrics.status_code == 200, metrics.content[:500]
            assert world.unit.code in {row["unit"] for row in metrics.json()["results"]}
            export = api.get("/api/v1/metrics/units/", {**month, "format": "csv"})
            assert export.status_code == 200 and world.unit.code in export.content.decode()
            report = api.get("/api/v1/accountability/units/", month)
            assert report.status_code == 200, report.content[:500]
        replica_tables = " ".join(q["sql"] for q in served.replica.captured_queries)
        assert "digitization_" in replica_tables and "procedures_dossier" in replica_tables
        primary_tables = " ".join(q["sql"] for q in served.primary.captured_queries)
        assert "digitization_" not in primary_tables and "procedures_dossier" not in primary_tables

    # The dashboard and the desk's queue (a session, not a token) too.
    browser = Client()
    browser.force_login(world.leader)
    with Served(replica) as served:
        page = browser.get("/dashboard/")
        assert page.status_code == 200
    assert served.by_replica("procedures_unit")
    assert not served.by_primary("procedures_unit")
    with Served(replica) as served:
        queue = browser.get("/desk/")
        assert queue.status_code == 200
        assert all(code in queue.content.decode() for code in dossiers)
    assert served.by_replica("procedures_dossier")
    assert not served.by_primary("procedures_dossier")


def test_everything_else_is_served_by_the_primary(world, replica):
    dossier = new_dossier(world)
    caught_up(replica)
    # A clerk's list: the primary, whoever reads the replica otherwise.
    with Served(replica) as served:
        assert codes(Client().as_(world.clerk).get("/api/v1/dossiers/")) == {dossier.code}
    assert served.by_primary("procedures_dossier")
    assert not served.replica.captured_queries
    # A leader's read of a view not listed for replicas: the primary.
    with Served(replica) as served:
        assert Client().as_(world.leader).get("/api/v1/units/").status_code == 200
    assert served.by_primary("procedures_unit") and not served.replica.captured_queries
    # Reads outside any request (tasks, commands): the primary.
    with Served(replica) as served:
        recompute_metrics()
    assert served.primary.captured_queries and not served.replica.captured_queries
    # An administrator's list: the primary.
    with Served(replica) as served:
        assert codes(Client().as_(world.admin).get("/api/v1/dossiers/")) == {dossier.code}
    assert not served.replica.captured_queries


def test_a_write_is_seen_by_the_writers_next_read_while_the_replica_is_behind(world, replica):
    inspection = regular_inspection(world)
    caught_up(replica)
    inspector = Client().as_(world.inspector)

    def states(client):
        response = client.get("/api/v1/inspections/")
        assert response.status_code == 200, response.content[:500]
        return {row["id"]: row["state"] for row in response.json()["results"]}

    assert states(inspector) == {inspection.pk: "planned"}  # not pinned yet: the replica
    with paused_replay(replica):
        started = inspector.post(f"/api/v1/inspections/{inspection.pk}/start/", {}, format="json")
        assert (started.status_code, started.json()["state"]) == (200, "in_progress")
        assert routers.PIN_COOKIE in started.cookies
        # The writer's next read (same client): its own write, from the primary.
        with Served(replica) as served:
            assert states(inspector) == {inspection.pk: "in_progress"}
        assert served.by_primary("inspections_inspection")
        assert not served.by_replica("inspections_inspection")
        # The same user on a client that dropped the cookie (a token script): still the primary.
        with Served(replica) as served:
            assert states(Client().as_(world.inspector)) == {inspection.pk: "in_progress"}
        assert not served.by_replica("inspections_inspection")
        # Another reader is not pinned: the replica, which has not replayed the start yet.
        other = UserFactory(username="inspector-2", role="inspector", unit=world.unit)
        with Served(replica) as served:
            assert states(Client().as_(other)) == {inspection.pk: "planned"}
        assert served.by_replica("inspections_inspection")
    caught_up(replica)
    assert states(Client().as_(other)) == {inspection.pk: "in_progress"}


def test_the_pin_lasts_the_lag_allowed_plus_the_check_interval(world, replica, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 5
    settings.DATABASE_REPLICA_CHECK_SECONDS = 2
    assert routers.pin_seconds() == 7
    inspector = Client().as_(world.inspector)
    before = time.time()
    response = inspector.post(
        "/api/v1/inspections/",
        {
            "unit": world.unit.code,
            "kind": "regular",
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "planned_start": "2025-04-01",
            "planned_end": "2025-04-30",
            "scope": "Thủ tục hộ tịch",
        },
        format="json",
    )
    assert response.status_code == 201, response.content[:500]
    cookie = response.cookies[routers.PIN_COOKIE]
    assert cookie["max-age"] == 7 and cookie["httponly"]
    assert before + 7 <= float(cookie.value) <= time.time() + 7


# --- falling back to the primary ------------------------------------------------------------


def test_a_replica_further_behind_than_the_setting_is_not_read(world, replica, settings):
    caught_up(replica)
    leader = Client().as_(world.leader)
    with paused_replay(replica):
        late = new_dossier(world)  # committed on the primary, not replayed on the replica
        time.sleep(1.5)
        settings.DATABASE_REPLICA_MAX_LAG = 1
        with Served(replica) as served:
            assert codes(leader.get("/api/v1/dossiers/")) == {late.code}
        assert served.by_primary("procedures_dossier")
        assert not served.by_replica("procedures_dossier")
        # With a looser setting the same read goes to the replica, which misses the dossier.
        settings.DATABASE_REPLICA_MAX_LAG = 3600
        with Served(replica) as served:
            assert codes(leader.get("/api/v1/dossiers/")) == set()
        assert served.by_replica("procedures_dossier")


def test_the_lag_reading_is_kept_for_the_check_interval(world, replica, settings, monkeypatch):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60
    readings = []
    measure = routers.measure_lag

    def counted(alias):
        readings.append(alias)
        return measure(alias)

    monkeypatch.setattr(routers, "measure_lag", counted)
    leader = Client().as_(world.leader)
    for _ in range(3):
        assert leader.get("/api/v1/dossiers/").status_code == 200
    assert readings == [replica]


def test_an_unreachable_replica_is_not_read_and_costs_no_error(world, replica):
    dossier = new_dossier(world)
    connection = connections[replica]
    connection.close()
    port = connection.settings_dict["PORT"]
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        dead_port = free.getsockname()[1]
    connection.settings_dict["PORT"] = dead_port
    try:
        # (The replica's queries cannot be captured: capturing connects.)
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
            assert codes(Client().as_(world.leader).get("/api/v1/dossiers/")) == {dossier.code}
        assert any('"procedures_dossier"' in q["sql"] for q in primary.captured_queries)
        assert routers.health.lag(replica) == math.inf
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


def test_a_replica_lost_in_the_middle_of_a_request_costs_no_error(world, replica):
    dossier = new_dossier(world)
    caught_up(replica)
    killed = []

    def kill_before_the_list(execute, sql, params, many, context):
        # The replica's server ends this session just before the list's query runs on it.
        if '"procedures_dossier"' in sql and not killed:
            killed.append(sql)
            session = connections[replica].connection
            with suppress(OperationalError):
                session.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return execute(sql, params, many, context)

    with (
        connections[replica].execute_wrapper(kill_before_the_list),
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
    ):
        response = Client().as_(world.leader).get("/api/v1/dossiers/")
    assert killed, "the list was not read from the replica first"
    assert codes(response) == {dossier.code}
    assert any('"procedures_dossier"' in q["sql"] for q in primary.captured_queries)
    connections[replica].close()


def test_a_stopped_replica_is_not_read_and_costs_no_error(world, replica):
    dossier = new_dossier(world)
    caught_up(replica)
    leader = Client().as_(world.leader)
    with Served(replica) as served:
        assert codes(leader.get("/api/v1/dossiers/")) == {dossier.code}
    assert served.by_replica("procedures_dossier")
    port = str(connections[replica].settings_dict["PORT"] or 5432)
    script = {**os.environ, "REPLICA_PORT": port}
    connections[replica].close()
    subprocess.run([str(REPLICA_SCRIPT), "stop"], env=script, check=True, capture_output=True)
    try:
        for _ in range(2):  # each request finds it down (CHECK_SECONDS is 0 here)
            with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
                assert codes(leader.get("/api/v1/dossiers/")) == {dossier.code}
            assert any('"procedures_dossier"' in q["sql"] for q in primary.captured_queries)
            assert connections[replica].connection is None
    finally:
        connections[replica].close()
        started = subprocess.run(
            [str(REPLICA_SCRIPT), "start"], env=script, capture_output=True, text=True
        )
        assert started.returncode == 0, started.stdout + started.stderr
    routers.health.forget()
    caught_up(replica)
    with Served(replica) as served:
        assert codes(leader.get("/api/v1/dossiers/")) == {dossier.code}
    assert served.by_replica("procedures_dossier")


# --- configuration ------------------------------------------------------------------------------


def test_migrations_and_writes_go_to_the_primary_only(replica):
    router = routers.ReplicaRouter()
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "procedures") is True
    assert router.allow_migrate(replica, "procedures") is False
    assert router.db_for_write(object) == DEFAULT_DB_ALIAS
    assert settings.DATABASES[replica]["TEST"]["MIRROR"] == DEFAULT_DB_ALIAS
