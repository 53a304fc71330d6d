"""Fixtures for the deadline jobs, notices and Celery: a controllable broker and a real worker."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
# A port nothing listens on: publishing to it fails at once with "connection refused".
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@contextlib.contextmanager
def broker(url: str | None, *, eager: bool = False):
    """Run the block with this process's Celery app publishing to `url` (or eagerly)."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url = url or "memory://"
    conf.task_always_eager = eager
    _drop_connections()
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager = saved
        _drop_connections()


def _drop_connections():
    """Forget the pooled broker connections, so the next publish uses the broker set now.

    (kombu keeps one pool per broker URL for the process, so they are not closed, only dropped.)
    """
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks run in-process here, with or without REDIS_URL; the worker tests say otherwise."""
    with broker(None, eager=True):
        yield


def database_url() -> str:
    """The URL of the database the tests actually use (pytest-django's test database)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{s['NAME']}"


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """A real `celery -A config worker --pool=solo` on REDIS_URL and the test database.

    Waits until it answers a ping; always stopped (and its queue purged at start).
    """
    redis_url = os.environ["REDIS_URL"]
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CONN_MAX_AGE": "0",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--purge",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test-{os.getpid()}@%h",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with broker(redis_url):
            _wait_for_worker(process, tmp_path / "worker.log")
            yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for_worker(process, log_path, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{log_path.read_text()}")
        if celery_app.control.ping(timeout=1.0):
            return
    raise RuntimeError(f"the worker did not answer within {timeout} s:\n{log_path.read_text()}")


def wait_until(check, timeout=60.0, interval=0.2):
    """Poll `check()` until it returns something truthy; return it (fail after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout} s: {check.__doc__ or check}")
