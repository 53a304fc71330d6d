"""`make run`: web server, Celery worker and beat as one group, on a broker needing no server."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config import runner
from config.celery import app as celery_app
from procedures import tasks
from procedures.models import Dossier, DossierState
from tests.dossiers import dossier_in
from tests.tasks.conftest import database_url, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _without_redis(env):
    return {key: value for key, value in env.items() if key != "REDIS_URL"}


def test_make_run_serves_the_demo_through_the_supervisor():
    makefile = (ROOT / "Makefile").read_text()
    assert "run: seed serve" in makefile
    assert "$(PY) manage.py serve_demo $(HOST):$(PORT)" in makefile


def test_the_settings_under_make_run_queue_tasks_in_a_folder_not_eagerly(tmp_path):
    env = runner.demo_environment(tmp_path / "queue", base=_without_redis(os.environ))
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, "
            "s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'])",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == ["filesystem://", "False", str((tmp_path / "queue" / "queue").resolve())]
    assert (tmp_path / "queue" / "processed").is_dir()


def test_the_worker_runs_with_embedded_beat_and_the_database_schedule():
    command = runner.worker_command()
    assert command[1:5] == ["-m", "celery", "-A", "config"]
    assert "--beat" in command
    assert command[command.index("--scheduler") + 1] == (
        "django_celery_beat.schedulers:DatabaseScheduler"
    )


@pytest.mark.django_db
def test_the_schedule_holds_every_job_and_the_demo_runs_them_more_often():
    def minutes():
        return {
            job.task: job.interval.every
            for job in PeriodicTask.objects.filter(enabled=True).select_related("interval")
            if job.interval and job.interval.period == "minutes"
        }

    production = minutes()
    assert production["digitization.tasks.refresh_metrics"] <= 5
    assert production["digitization.tasks.refresh_accountability"] <= 5
    assert production["procedures.tasks.flag_overdue_dossiers"] <= 15
    assert production["procedures.tasks.flag_due_soon"] <= 15
    assert production["procedures.tasks.send_pending_notices"] <= 5

    assert len(runner.use_demo_intervals()) == 5
    demo = minutes()
    assert demo["digitization.tasks.refresh_metrics"] == 1
    assert demo["digitization.tasks.refresh_accountability"] == 1
    assert demo["procedures.tasks.send_pending_notices"] == 1
    assert demo["procedures.tasks.flag_overdue_dossiers"] == 5
    assert demo["procedures.tasks.flag_due_soon"] == 5
    assert runner.use_demo_intervals() == []  # once is enough; an administrator's change stays


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_stopping_the_supervisor_stops_every_process_of_the_group(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    child = (
        "import os, subprocess, sys, time; "
        "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        f"open(os.path.join({str(pids)!r}, sys.argv[1]), 'w').write("
        "f'{os.getpid()} {grandchild.pid}'); time.sleep(120)"
    )
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys; from config.runner import supervise; "
            f"sys.exit(supervise({{'a': [sys.executable, '-c', {child!r}, 'a'], "
            f"'b': [sys.executable, '-c', {child!r}, 'b']}}, dict(os.environ)))",
        ],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while len(list(pids.iterdir())) < 2 or any(not f.read_text() for f in pids.iterdir()):
            assert time.monotonic() < deadline, "the supervised processes did not start"
            time.sleep(0.1)
        started = [int(pid) for f in pids.iterdir() for pid in f.read_text().split()]
        assert all(_alive(pid) for pid in started)
        supervisor.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert supervisor.wait(timeout=20) == 0
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in started)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def test_when_one_process_ends_the_supervisor_stops_the_others(tmp_path):
    marker = tmp_path / "long.pid"
    long_running = (
        f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    )
    started = time.monotonic()
    status = runner.supervise(
        {
            "long": [sys.executable, "-c", long_running],
            "short": [sys.executable, "-c", "import time; time.sleep(2); raise SystemExit(3)"],
        },
        dict(os.environ),
        poll=0.1,
    )
    assert status == 3
    assert time.monotonic() - started < 30
    assert not _alive(int(marker.read_text()))


@pytest.fixture
def demo_worker(transactional_db, tmp_path):
    """A worker started as `make run` starts it, on the test database and a task folder."""
    queue = tmp_path / "queue"
    for folder in ("queue", "processed"):
        (queue / folder).mkdir(parents=True)
    env = runner.demo_environment(queue, base=_without_redis(os.environ))
    env.update(DATABASE_URL=database_url(), CONN_MAX_AGE="0")
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        runner.worker_command(name=f"test-{os.getpid()}"),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    conf = celery_app.conf
    saved = (
        conf.broker_url,
        conf.task_always_eager,
        conf.broker_transport_options,
        conf.broker_transport,
    )
    # the folder's transport, not the Redis one the settings name when REDIS_URL is set
    conf.broker_url, conf.task_always_eager, conf.broker_transport = "filesystem://", False, None
    conf.broker_transport_options = {
        "data_folder_in": str(queue / "queue"),
        "data_folder_out": str(queue / "queue"),
        "processed_folder": str(queue / "processed"),
        "control_folder": str(queue / "control"),
        "store_processed": False,
    }
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield process, tmp_path / "worker.log"
    finally:
        (
            conf.broker_url,
            conf.task_always_eager,
            conf.broker_transport_options,
            conf.broker_transport,
        ) = saved
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        runner.stop_all([process])
        log.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_demo_worker_runs_a_task_queued_through_the_folder(world, demo_worker):
    process, log = demo_worker
    late = dossier_in(world, DossierState.SIGNING, at=timezone.now() - timedelta(days=40))
    assert Dossier.objects.get(pk=late.pk).overdue_since is None

    tasks.flag_overdue_dossiers.delay()

    def flagged():
        """the worker flagged the late dossier"""
        assert process.poll() is None, log.read_text()
        return Dossier.objects.get(pk=late.pk).overdue_since

    assert wait_until(flagged, timeout=90)
    assert Dossier.objects.get(pk=late.pk).overdue_step == DossierState.SIGNING
    assert "beat: Starting" in log.read_text()
