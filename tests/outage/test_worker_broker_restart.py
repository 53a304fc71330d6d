"""A real worker keeps working through a broker restart while it holds messages waiting for
their countdown (as retries do), and a message taken by a worker that died unacknowledged is
delivered again after the visibility timeout. A redis-server of the test's own."""

import os
import signal

import pytest
from django.utils import timezone

from procedures import tasks
from procedures.models import Dossier, DossierState
from procedures.services import due_soon_limit
from tests.dossiers import dossier_in
from tests.processes import start_worker, stop, wait_for_worker
from tests.tasks.conftest import broker, database_url, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 5  # seconds, for the test (900 in production)


def worker_env(redis_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CONN_MAX_AGE": "0",
        "BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }


@pytest.fixture
def due_soon(world):
    dossier = dossier_in(world, DossierState.INTAKE)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=due_soon_limit(timezone.now()))
    return dossier


def flagged(dossier):
    def check():
        """the held task ran: the dossier is flagged due soon"""
        return Dossier.objects.get(pk=dossier.pk).due_soon_since is not None

    return check


def held(log_path, count):
    def check():
        """the worker holds the messages (received, waiting for their countdown)"""
        return log_path.read_text().count("procedures.tasks.flag_due_soon[") >= count

    return check


def test_the_worker_survives_a_broker_restart_while_holding_messages(
    world, own_redis, tmp_path, due_soon
):
    log = tmp_path / "worker.log"
    worker = start_worker(env=worker_env(own_redis.url), log_path=log, name="restart")
    try:
        with broker(own_redis.url):
            wait_for_worker(worker, log)
            for _ in range(3):
                tasks.flag_due_soon.apply_async(countdown=20)
            wait_until(held(log, 3), timeout=30)

            own_redis.stop()
            wait_until(lambda: "Connection to broker lost" in log.read_text(), timeout=30)
            own_redis.start()

            wait_until(flagged(due_soon), timeout=120)
            assert worker.poll() is None, log.read_text()
            assert "Unrecoverable error" not in log.read_text()
            # and it goes on taking new work
            Dossier.objects.filter(pk=due_soon.pk).update(due_soon_since=None)
            tasks.flag_due_soon.delay()
            wait_until(flagged(due_soon), timeout=60)
    finally:
        stop(worker)


def test_a_message_held_by_a_worker_that_died_is_delivered_again(
    world, own_redis, tmp_path, due_soon
):
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_worker(env=worker_env(own_redis.url), log_path=first_log, name="first")
    second = None
    try:
        with broker(own_redis.url):
            wait_for_worker(first, first_log)
            tasks.flag_due_soon.apply_async(countdown=3)
            wait_until(held(first_log, 1), timeout=30)
            first.send_signal(signal.SIGKILL)  # taken, never acknowledged
            first.wait(timeout=10)
            assert Dossier.objects.get(pk=due_soon.pk).due_soon_since is None

            second = start_worker(env=worker_env(own_redis.url), log_path=second_log, name="second")
            # Redelivered after the visibility timeout (kombu checks every 10 s), not after the
            # default hour.
            wait_until(flagged(due_soon), timeout=120)  # a loaded machine starts a worker slowly
            assert "procedures.tasks.flag_due_soon[" in second_log.read_text()
    finally:
        stop(first)
        if second is not None:
            stop(second)
