"""flag_overdue_dossiers against the same work as one hand-written SQL UPDATE, on PostgreSQL.

    python bench/overdue.py [--dossiers 1000000] [--overdue 100000] [--repeat 5]

Set-up (in its own database, BENCH_DATABASE_URL, default motcua_bench_overdue, because it turns
every dossier into an open one): `generate_dossiers` fills it (without the transition log), then
one set-based UPDATE opens every dossier in one of the five steps, a fifth of them without a
handler, and gives every `dossiers / overdue`-th one a due time in the past, the others one
in the coming weeks.

Each round resets the flags (and VACUUMs), then times the raw UPDATE through psycopg and the
Celery task `flag_overdue_dossiers` run in this process (task machinery, service, ORM), in
alternating order. Prints the best and median times and their ratio (target <= 1.2).

Then the task runs once more in a worker process and its peak memory (VmHWM) is read: a real
`celery worker --pool=solo` when REDIS_URL is set, otherwise a Python process that loads Django
and the Celery app as a worker does and runs the task (target < 150 MB).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from _setup import ROOT, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_overdue"
STEPS = ("intake", "appraisal", "approval", "signing", "delivery")
RAW_UPDATE = (
    "UPDATE procedures_dossier SET overdue_since = %s, overdue_step = state, "
    "overdue_handler_id = handler_id "
    "WHERE state IN ('intake', 'appraisal', 'approval', 'signing', 'delivery') "
    "AND overdue_since IS NULL AND due_at < %s"
)


def ensure_dossiers(count: int) -> None:
    from django.core.management import call_command

    from procedures.models import Dossier

    have = Dossier.objects.count()
    if have >= count:
        print(f"database holds {have:,} dossiers (wanted {count:,})")
        return
    print(f"generating {count - have:,} dossiers (no transition log) ...", flush=True)
    started = time.perf_counter()
    call_command("generate_dossiers", count=count - have, no_history=True, verbosity=0)
    print(f"generated in {time.perf_counter() - started:.1f} s")


def open_all(overdue: int) -> int:
    """Every dossier open in a step; every n-th one past due. Returns how many are past due."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procedures_dossier")
        (total,) = cursor.fetchone()
        every = max(total // overdue, 1)
        print(f"opening {total:,} dossiers, every {every}th one past due ...", flush=True)
        started = time.perf_counter()
        cursor.execute(
            """
            WITH ranked AS (SELECT id, row_number() OVER (ORDER BY id) AS n
                            FROM procedures_dossier)
            UPDATE procedures_dossier d SET
                state = (%s::text[])[1 + r.n %% 5],
                state_before_supplement = '',
                accepted_at = COALESCE(d.accepted_at, d.received_at),
                completed_at = NULL, paused_at = NULL, working_days_left = NULL,
                handler_id = CASE WHEN r.n %% 5 = 1 THEN NULL
                                  ELSE COALESCE(d.handler_id, d.created_by_id) END,
                due_at = CASE
                    WHEN r.n %% %s = 0 AND r.n / %s <= %s
                        THEN now() - (1 + r.n %% 240) * interval '1 hour'
                    ELSE now() + (2 + r.n %% 30) * interval '1 day' END,
                overdue_since = NULL, overdue_step = '', overdue_handler_id = NULL,
                due_soon_since = NULL, appointment_at = NULL
            FROM ranked r WHERE r.id = d.id
            """,
            [list(STEPS), every, every, overdue],
        )
        cursor.execute("VACUUM ANALYZE procedures_dossier")
        cursor.execute(
            "SELECT count(*) FROM procedures_dossier WHERE due_at < now() AND state = ANY(%s)",
            [list(STEPS)],
        )
        (past_due,) = cursor.fetchone()
    print(f"set up in {time.perf_counter() - started:.1f} s: {past_due:,} open dossiers past due")
    return past_due


def reset_flags() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procedures_dossier SET overdue_since = NULL, overdue_step = '', "
            "overdue_handler_id = NULL WHERE overdue_since IS NOT NULL"
        )
        cursor.execute("VACUUM ANALYZE procedures_dossier")
        cursor.execute("CHECKPOINT")  # so that neither side pays for the other's dirty pages


def run_raw(url: str) -> tuple[float, int]:
    import psycopg
    from django.utils import timezone

    with psycopg.connect(url, autocommit=True) as conn:
        now = timezone.now()
        started = time.perf_counter()
        flagged = conn.execute(RAW_UPDATE, [now, now]).rowcount
        return time.perf_counter() - started, flagged


def run_task() -> tuple[float, int]:
    from django.db import connection

    from procedures.tasks import flag_overdue_dossiers

    connection.ensure_connection()
    started = time.perf_counter()
    flagged = flag_overdue_dossiers.apply().get()
    return time.perf_counter() - started, flagged


def explain(url: str) -> str:
    import psycopg
    from django.utils import timezone

    with psycopg.connect(url) as conn:
        now = timezone.now()
        rows = conn.execute("EXPLAIN " + RAW_UPDATE, [now, now]).fetchall()
        conn.rollback()
    return "\n".join("    " + row[0] for row in rows)


# --- the task in a worker process ------------------------------------------------------------


def worker_env(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only"),
    }


def peak_memory_in_worker(url: str, redis_url: str, expected: int) -> tuple[float, float, str]:
    """Start a real solo worker, send it the task, wait for the flags; (idle MB, peak MB)."""
    from config.celery import app
    from procedures.models import Dossier
    from procedures.tasks import flag_overdue_dossiers

    app.conf.broker_url = redis_url
    app.conf.task_always_eager = False
    env = {**worker_env(url), "REDIS_URL": redis_url}
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"bench-overdue-{os.getpid()}@%h",
        "-l",
        "warning",
    ]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not app.control.ping(timeout=1.0):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the worker did not start")
        idle = _memory_mb(worker.pid, "VmRSS")
        flag_overdue_dossiers.delay()
        while Dossier.objects.filter(overdue_since__isnull=False).count() < expected:
            if worker.poll() is not None or time.monotonic() > deadline + 600:
                raise SystemExit("the worker did not flag the dossiers")
            time.sleep(0.5)
        time.sleep(0.5)
        return idle, _memory_mb(worker.pid, "VmHWM"), "celery worker --pool=solo"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _memory_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def peak_memory_in_process(url: str) -> tuple[float, float, str]:
    """Run the task in a fresh Python process that loads what a worker loads."""
    output = subprocess.run(
        [sys.executable, __file__, "--child"],
        cwd=ROOT,
        env=worker_env(url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(output[-2]), float(output[-1]), "a Python process running the task"


def child() -> None:
    import django

    django.setup()
    from config.celery import app

    app.loader.import_default_modules()  # the task modules, as a worker imports them
    from procedures.tasks import flag_overdue_dossiers

    idle = _memory_mb(os.getpid(), "VmRSS")
    flag_overdue_dossiers.apply().get()
    print(idle, _memory_mb(os.getpid(), "VmHWM"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child()

    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = setup_django(DEFAULT_URL)
    ensure_dossiers(args.dossiers)
    expected = open_all(args.overdue)
    print("plan of the UPDATE:\n" + explain(url))

    raw_times, task_times = [], []
    for round_number in range(args.repeat):
        order = [("raw", run_raw), ("task", run_task)]
        if round_number % 2:
            order.reverse()
        for label, run in order:
            reset_flags()
            seconds, flagged = run(url) if label == "raw" else run()
            assert flagged == expected, f"{label} flagged {flagged:,}, expected {expected:,}"
            (raw_times if label == "raw" else task_times).append(seconds)
            print(f"  round {round_number + 1} {label:4}: {seconds:7.3f} s ({flagged:,} flagged)")

    reset_flags()
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        idle, peak, where = peak_memory_in_worker(url, redis_url, expected)
    else:
        idle, peak, where = peak_memory_in_process(url)

    from procedures.models import Dossier

    best_raw, best_task = min(raw_times), min(task_times)
    print(f"dossiers in database:           {Dossier.objects.count():,}")
    print(f"open dossiers past due:         {expected:,}")
    print(
        f"raw SQL UPDATE (psycopg):       best {best_raw:7.3f} s, "
        f"median {statistics.median(raw_times):7.3f} s"
    )
    print(
        f"flag_overdue_dossiers (task):   best {best_task:7.3f} s, "
        f"median {statistics.median(task_times):7.3f} s"
    )
    print(
        f"task / raw SQL:                 best {best_task / best_raw:7.2f}, "
        f"median {statistics.median(task_times) / statistics.median(raw_times):7.2f}"
        "   (target <= 1.2)"
    )
    print(f"peak memory ({where}): {peak:.0f} MB (idle {idle:.0f} MB; target < 150 MB)")


if __name__ == "__main__":
    main()
