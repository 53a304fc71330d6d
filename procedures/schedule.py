"""The periodic jobs celery beat runs, stored as django-celery-beat rows editable in the admin.

Installed by migration 0003 and by `manage.py install_schedule` (both idempotent): a job already
there is left as an administrator set it, unless `reset` is asked for.
"""

# (name shown in the admin, task, every N minutes)
PERIODIC_JOBS = (
    ("motcua: flag overdue dossiers", "procedures.tasks.flag_overdue_dossiers", 15),
    ("motcua: flag dossiers due soon", "procedures.tasks.flag_due_soon", 15),
    ("motcua: send pending notices", "procedures.tasks.send_pending_notices", 5),
    ("motcua: create log partitions ahead", "procedures.tasks.create_log_partitions", 24 * 60),
)


def install_schedule(*, periodic_task_model=None, interval_model=None, reset=False) -> list[str]:
    """Create the missing periodic jobs (all of them again when `reset`); return their names.

    The models are parameters so that a data migration can pass its historical ones.
    """
    if periodic_task_model is None or interval_model is None:
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        periodic_task_model, interval_model = PeriodicTask, IntervalSchedule
    installed = []
    for name, task, minutes in PERIODIC_JOBS:
        if install_job(
            name,
            task,
            minutes,
            periodic_task_model=periodic_task_model,
            interval_model=interval_model,
            reset=reset,
        ):
            installed.append(name)
    return installed


def install_job(
    name: str,
    task: str,
    minutes: int,
    *,
    periodic_task_model,
    interval_model,
    reset: bool = False,
    description: str = "Installed by motcua (procedures.schedule).",
) -> bool:
    """One periodic job every `minutes`, created when missing (again when `reset`); True when it
    was written. An administrator's changes to an existing job stay otherwise."""
    existing = periodic_task_model.objects.filter(name=name).first()
    if existing is not None and not reset:
        return False
    interval = interval_model.objects.filter(every=minutes, period="minutes").first()
    if interval is None:
        interval = interval_model.objects.create(every=minutes, period="minutes")
    job = existing or periodic_task_model(name=name)
    job.task = task
    job.interval = interval
    job.crontab = job.solar = job.clocked = None
    job.enabled = True
    # A run still queued when the next one is due is dropped rather than piling up.
    job.expire_seconds = minutes * 60
    job.description = description
    job.save()
    return True
