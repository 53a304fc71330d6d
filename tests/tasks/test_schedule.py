"""The periodic jobs: installed by migration, editable in the admin, reinstalled on demand."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from procedures.schedule import PERIODIC_JOBS

pytestmark = pytest.mark.django_db

EXPECTED = {
    "procedures.tasks.flag_overdue_dossiers": 15,
    "procedures.tasks.flag_due_soon": 15,
    "procedures.tasks.send_pending_notices": 5,
    "procedures.tasks.create_log_partitions": 24 * 60,  # a no-op on SQLite
}


def schedule():
    return {
        job.task: (job.interval.every, job.interval.period, job.enabled)
        for job in PeriodicTask.objects.filter(name__startswith="motcua:").select_related(
            "interval"
        )
    }


def test_the_migrations_install_every_job():
    assert schedule() == {task: (every, "minutes", True) for task, every in EXPECTED.items()}


def test_every_scheduled_task_exists():
    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert {task for _, task, _ in PERIODIC_JOBS} <= set(app.tasks)


def test_installing_again_keeps_an_administrators_changes():
    job = PeriodicTask.objects.get(task="procedures.tasks.flag_due_soon")
    job.enabled = False
    job.save()

    call_command("install_schedule")

    assert schedule()["procedures.tasks.flag_due_soon"] == (15, "minutes", False)
    assert PeriodicTask.objects.filter(name__startswith="motcua:").count() == len(EXPECTED)


def test_reset_puts_the_jobs_back_and_missing_ones_are_recreated():
    PeriodicTask.objects.filter(task="procedures.tasks.send_pending_notices").delete()
    PeriodicTask.objects.filter(task="procedures.tasks.flag_due_soon").update(enabled=False)

    call_command("install_schedule", reset=True)

    assert schedule() == {task: (every, "minutes", True) for task, every in EXPECTED.items()}


def test_the_beat_health_check_fails_until_a_job_has_been_sent_recently():
    with pytest.raises(CommandError):
        call_command("check_schedule")

    PeriodicTask.objects.filter(task="procedures.tasks.send_pending_notices").update(
        last_run_at=timezone.now() - timedelta(minutes=30)
    )
    with pytest.raises(CommandError):
        call_command("check_schedule", max_age=20)

    PeriodicTask.objects.filter(task="procedures.tasks.flag_due_soon").update(
        last_run_at=timezone.now() - timedelta(minutes=4)
    )
    call_command("check_schedule", max_age=20)
