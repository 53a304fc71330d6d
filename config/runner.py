"""`make run`: the web server, a Celery worker and beat as one supervised group.

Without Redis, the web process queues tasks as files (settings.TASK_QUEUE_DIR, kombu's filesystem
transport); one worker with embedded beat (the database scheduler, the jobs editable in the admin)
runs them. Stopping the group (Ctrl-C, or SIGTERM to the supervisor) stops every process of it.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUEUE_DIR = ROOT / "var" / "task-queue"

# The demo runs the periodic jobs more often than production does: (production, demo) minutes.
DEMO_MINUTES = {
    "procedures.tasks.flag_overdue_dossiers": (15, 5),
    "procedures.tasks.flag_due_soon": (15, 5),
    "procedures.tasks.send_pending_notices": (5, 1),
    "digitization.tasks.refresh_metrics": (5, 1),
    "digitization.tasks.refresh_accountability": (5, 1),
}


def demo_environment(queue_dir: Path | str = DEFAULT_QUEUE_DIR, base=None) -> dict[str, str]:
    """The environment of every process of the group: tasks go through the queue folder."""
    env = dict(os.environ if base is None else base)
    env["TASK_QUEUE_DIR"] = str(queue_dir)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return env


def worker_command(python: str = sys.executable, name: str = "demo") -> list[str]:
    """One worker, one task at a time (SQLite has one writer), beat embedded (`--beat`)."""
    return [
        python,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--beat",
        "--scheduler",
        "django_celery_beat.schedulers:DatabaseScheduler",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}@%h",
        "-l",
        "info",
    ]


def web_command(addrport: str, python: str = sys.executable) -> list[str]:
    return [python, str(ROOT / "manage.py"), "runserver", addrport]


def use_demo_intervals() -> list[str]:
    """Give the motcua jobs their demo interval, unless an administrator changed it already."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    changed = []
    for job in PeriodicTask.objects.filter(task__in=DEMO_MINUTES).select_related("interval"):
        production, demo = DEMO_MINUTES[job.task]
        interval = job.interval
        if interval is None or interval.period != "minutes" or interval.every != production:
            continue
        job.interval, _ = IntervalSchedule.objects.get_or_create(every=demo, period="minutes")
        job.expire_seconds = demo * 60
        job.save()
        changed.append(job.name)
    return changed


def supervise(commands: dict[str, list[str]], env: dict[str, str], *, poll: float = 0.5) -> int:
    """Start every command in its own process group; when one ends or the supervisor is asked to
    stop (SIGINT, SIGTERM), stop all of them (their whole groups) and return the exit status."""
    stopping = []

    def ask_to_stop(signum, _frame):
        stopping.append(signum)

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, argv in commands.items():
            processes[name] = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True)
        while not stopping:
            ended = [p for p in processes.values() if p.poll() is not None]
            if ended:
                return ended[0].returncode or 0
            time.sleep(poll)
        return 0
    finally:
        stop_all(processes.values())
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_all(processes, timeout: float = 15.0) -> None:
    """SIGTERM to each started process's group (a worker finishes its task), then SIGKILL."""
    alive = [p for p in processes if p.poll() is None]
    for process in alive:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in alive:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
    for process in processes:  # children left behind by a process that ended on its own
        _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, sig) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)  # the group started for it: start_new_session=True
