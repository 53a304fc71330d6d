"""The API through gunicorn on PostgreSQL, in the shipped configuration: list p95 at 100k and at
1M dossiers side by side, the detail, and transitions per second at 1 and 16 clients.

    python bench/api.py                       # both sizes (one command; about 10 minutes)
    python bench/api.py --only transition     # the transition scenarios only (1M)
    python bench/api.py --small URL --large URL

What runs is what the Dockerfile and compose ship: gunicorn started with the committed
`config/gunicorn.conf.py` (its worker/thread rule, WEB_WORKERS / WEB_THREADS unset), the database
options of `.env.example` (CONN_MAX_AGE, CONN_HEALTH_CHECKS, read from the file), DEBUG off and
Redis as broker and cache (REDIS_URL, default redis://127.0.0.1:6379/0), behind an HTTPS proxy
(the client sends X-Forwarded-Proto). Each database is VACUUM ANALYZEd before it is measured,
after the deadline job's run (as beat runs it every 15 minutes: late dossiers flagged).

Databases: the benchmark works on its own copies and never writes to the shared ones.
`--large` (default motcua_bench_api_1m) is made once as `CREATE DATABASE ... TEMPLATE
motcua_bench_1m` (which needs nobody connected to motcua_bench_1m at that moment);
`--small` (default motcua_bench_api_100k) is generated once with 100k dossiers over 225 units.
The transition scenario puts the dossiers it moves back in appraisal in its copy before the run.

The two sizes alternate `--rounds` times (default 3: 100k, 1M, 100k, 1M, 100k, 1M), each in a
gunicorn of its own, so that both see the same machine load; a list's p95 is the median of its
rounds' p95, and every round's is printed. Every list fills its page (50 rows) at both sizes, as
printed: comparing a page of 2 rows with one of 50 would measure the page, not the table's growth.

Each figure is printed with the load average at that moment (the machine is shared). CPU per
request is the gunicorn workers' own CPU time (user + system, from /proc) over the scenario,
divided by its requests; the client's CPU is printed apart.
Targets: list p95 < 30 ms at 1M and <= 1.3 x its p95 at 100k; >= 300 transitions/s at 16 clients.
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

from _setup import ROOT, percentile

PORT = int(os.environ.get("BENCH_API_PORT", "8765"))  # bench/scale.py runs its own
SHARED_1M = "motcua_bench_1m"
SMALL_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_api_100k"
LARGE_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_api_1m"
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
SHIPPED_ENV = ROOT / ".env.example"
# The lines of .env.example that shape the web process's performance.
SHIPPED_KEYS = ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "WEB_WORKERS", "WEB_THREADS")
LISTS = (
    "list: clerk, state=completed",
    "list: leader, open states, by due",
    "list: leader, unit, last 90 days",
    "list: leader, overdue=true",
    "list: leader, q=family+middle",
    "list: leader, q=full name",
    "list: leader, q=partial name",
)


def shipped_environment() -> dict:
    """KEY=VALUE lines of .env.example that shape performance (uncommented ones only)."""
    found = {}
    for line in SHIPPED_ENV.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key in SHIPPED_KEYS:
            found[key] = value
    return found


# --- the parent: databases, then one child per database, then the side-by-side table ----------


def admin_connection(url: str):
    import psycopg

    return psycopg.connect(urlparse(url)._replace(path="/postgres").geturl(), autocommit=True)


def database_exists(url: str) -> bool:
    with admin_connection(url) as conn:
        name = urlparse(url).path.lstrip("/")
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def copy_shared(url: str) -> None:
    """CREATE DATABASE <url> TEMPLATE motcua_bench_1m, once (nobody may be connected to it)."""
    if database_exists(url):
        return
    name = urlparse(url).path.lstrip("/")
    with admin_connection(url) as conn:
        busy = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [SHARED_1M]
        ).fetchone()[0]
        if busy:
            sys.exit(
                f"{busy} session(s) connected to {SHARED_1M}: copy it when nobody is, or pass "
                f"--large with a database of your own"
            )
        print(f"copying {SHARED_1M} into {name} ...", flush=True)
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{SHARED_1M}"')


def run_child(url: str, dossiers: int, args, out: Path, kinds: str) -> dict:
    command = [
        sys.executable,
        str(Path(__file__)),
        "--child",
        url,
        "--dossiers",
        str(dossiers),
        "--requests",
        str(args.requests),
        "--transitions",
        str(args.transitions),
        "--kinds",
        kinds,
        "--json",
        str(out),
    ]
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


def combined(runs: list[dict]) -> dict:
    """One result from several rounds of one database: each scenario's p50/p95 the median of its
    rounds (its p95 of every round kept as `p95_rounds`), the rest from its last round."""
    scenarios = {}
    for key in {key for run in runs for key in run["scenarios"]}:
        rows = [run["scenarios"][key] for run in runs if key in run["scenarios"]]
        row = dict(rows[-1])
        for name in ("p50_ms", "p95_ms"):
            row[name] = statistics.median(r[name] for r in rows)
        row["p95_rounds"] = [r["p95_ms"] for r in rows]
        scenarios[key] = row
    return {"configuration": runs[-1]["configuration"], "scenarios": scenarios}


def parent(args) -> None:
    kinds = args.only or "list,detail,transition"
    if args.large == LARGE_URL:
        copy_shared(args.large)
    runs = {"small": [], "large": []}
    with tempfile.TemporaryDirectory() as folder:
        # The sizes alternate, `--rounds` times, so that both see the same machine load; each
        # list's p95 is the median of its rounds. Transitions run in the last round only.
        for number in range(1, args.rounds + 1):
            last = number == args.rounds
            if "list" in kinds and not args.skip_small:
                print(f"== 100k, round {number}: {urlparse(args.small).path.lstrip('/')}")
                runs["small"].append(
                    run_child(args.small, 100_000, args, Path(folder) / "small.json", "list,detail")
                )
            large_kinds = (
                kinds if last else ",".join(k for k in kinds.split(",") if k != "transition")
            )
            if not large_kinds:
                continue
            print(f"== 1M, round {number}: {urlparse(args.large).path.lstrip('/')}", flush=True)
            runs["large"].append(
                run_child(args.large, 0, args, Path(folder) / "large.json", large_kinds)
            )
    results = {size: combined(found) for size, found in runs.items() if found}
    large_name = urlparse(args.large).path.lstrip("/")
    small = results.get("small", {}).get("scenarios", {})
    large = results["large"]["scenarios"]
    print()
    print(f"shipped configuration: {results['large']['configuration']}")
    if small:
        print(
            f"{'scenario (1 client)':<34} {'p95 100k':>9} {'p95 1M':>8} {'1M/100k':>8} "
            f"{'SQL 100k':>9} {'SQL 1M':>7} {'1M/100k':>8} {'worker CPU 1M':>14}  "
            "rows 100k | 1M  load avg 100k | 1M"
        )
        for label in [*LISTS, "detail: clerk"]:
            a, b = small.get(f"{label}|1"), large.get(f"{label}|1")
            if not a or not b:
                continue
            sql = f"{'':>9} {'':>7} {'':>8}"
            if "sql_ms" in a and "sql_ms" in b:
                sql = f"{a['sql_ms']:7.2f}ms {b['sql_ms']:5.2f}ms {b['sql_ms'] / a['sql_ms']:8.2f}"
            print(
                f"{label:<34} {a['p95_ms']:7.1f}ms {b['p95_ms']:6.1f}ms "
                f"{b['p95_ms'] / a['p95_ms']:8.2f} {sql} {b['worker_cpu_ms']:11.2f} ms  "
                f"{a.get('rows', '-'):>9} | {b.get('rows', '-'):<3} {a['load']:10.1f} | "
                f"{b['load']:.1f}"
            )
        print(
            "p95: the median of the rounds' p95 (each round "
            f"{args.requests} requests); SQL: the list's statement in the database alone, median "
            "of 21 EXPLAIN ANALYZE."
        )
        for label in LISTS:
            a, b = small.get(f"{label}|1"), large.get(f"{label}|1")
            if a and b:
                print(
                    f"  {label:<34} p95 per round 100k: "
                    f"{' '.join(f'{v:.1f}' for v in a['p95_rounds'])} ms; 1M: "
                    f"{' '.join(f'{v:.1f}' for v in b['p95_rounds'])} ms"
                )
    for clients in (1, 16):
        row = large.get(f"transition: propose|{clients}")
        if row:
            print(
                f"transitions (propose), {clients:>2} client(s), {large_name}: "
                f"{row['rate']:.0f}/s, p50 "
                f"{row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms, worker CPU "
                f"{row['worker_cpu_ms']:.2f} ms/transition, client CPU "
                f"{row['client_cpu_ms']:.2f} ms, load avg {row['load']:.1f}, {row['statuses']}"
            )


# --- the child: one database, one gunicorn --------------------------------------------------


def start_gunicorn(url: str, redis_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        **shipped_environment(),
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "WEB_LOG_LEVEL": "warning",
        # whitenoise warns once per worker that the static files were not collected here
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    for key in ("BROKER_URL", "CACHE_URL", "TASK_QUEUE_DIR", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(GUNICORN_CONF),
            "--bind",
            f"127.0.0.1:{PORT}",
            "config.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/admin/login/", headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def worker_pids(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in path.read_text().split()]


def workers_cpu(master: int) -> float:
    """Seconds of CPU (user + system) the gunicorn workers have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in worker_pids(master):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


class Client:
    def __init__(self, token: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "X-Forwarded-Proto": "https",  # as the HTTPS proxy in front of gunicorn says
        }

    def rows(self, path: str) -> int:
        """The rows of the page `path` returns."""
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        return len(json.loads(response.read())["results"])

    def call(self, method: str, path: str, body=None) -> tuple[int, float]:
        payload = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=payload, headers=self.headers)
                response = self.connection.getresponse()
                response.read()
                return response.status, time.perf_counter() - started
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # the server closed an idle keep-alive connection: reconnect once
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def run(clients: int, jobs: list, token_of, desks: list | None = None):
    """Run (method, path, body, user) jobs over `clients` threads; returns latencies, seconds.

    Threads share `jobs`; or, with `desks` (one job list per client), each thread works through
    its own list, as one person at a desk does.
    """
    queues = [list(reversed(desk)) for desk in desks] if desks else [list(reversed(jobs))] * clients
    lock = threading.Lock()
    latencies, statuses = [], {}

    def worker(queue):
        sessions = {}
        while True:
            with lock:
                if not queue:
                    return
                method, path, body, user = queue.pop()
            client = sessions.get(user) or sessions.setdefault(user, Client(token_of(user)))
            status, seconds = client.call(method, path, body)
            with lock:
                latencies.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, args=(queue,)) for queue in queues]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, statuses


def list_sql_times(params: dict, tokens: dict, runs: int = 21) -> dict:
    """Each list's SQL as the API sends it, run `runs` times under EXPLAIN ANALYZE: the median
    execution time in the database, apart from the web process and the machine's load."""
    import statistics

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
    found = {}
    for label, (user, query) in params.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                "/api/v1/dossiers/", query, HTTP_AUTHORIZATION=f"Token {tokens[user]}"
            )
        assert response.status_code == 200, response.content[:300]
        (sql,) = [q["sql"] for q in queries.captured_queries if "procedures_dossier" in q["sql"]]
        times = []
        with connection.cursor() as cursor:
            for _ in range(runs):
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                times.append(plan[0]["Execution Time"])
        found[label] = statistics.median(times)
    return found


def child(args) -> None:
    sys.argv = sys.argv[:1]
    os.environ["BENCH_DATABASE_URL"] = args.child
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    warnings.filterwarnings("ignore", message="No directory at")  # static files not collected
    from _setup import ensure_dossiers, setup_django

    url = setup_django()
    from procedures.models import Dossier

    if not Dossier.objects.exists():
        if not args.dossiers:
            sys.exit(f"{args.child} holds no dossiers")
        ensure_dossiers(args.dossiers, units=225)
    found = measure_api(
        url,
        kinds=set(args.kinds.split(",")),
        requests=args.requests,
        transitions=args.transitions,
    )
    Path(args.json).write_text(json.dumps(found, ensure_ascii=False))


def measure_api(
    url: str,
    *,
    kinds: set,
    requests: int,
    transitions: int,
    transition_clients: tuple = (1, 16),
    restore: bool = False,
) -> dict:
    """The API scenarios on the database Django is set up with (the caller's process): VACUUM
    ANALYZE, each list's SQL alone, then gunicorn in the shipped configuration and the `kinds`
    (list, detail, transition) measured through it. Returns {"configuration", "scenarios"}.

    With `restore`, the dossiers the transitions move, and their log, are put back as they were
    before (the rows saved in a table of the benchmark's, then written back), so the database is
    left as found; without it they stay proposed, as in this script's own copy.
    """
    redis_url = os.environ["REDIS_URL"]
    from django.db import connection

    if restore and SAVED in connection.introspection.table_names():
        print("a run before this one did not restore its dossiers: restoring them", flush=True)
        restore_saved()
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from procedures.models import Dossier, DossierState, Role, Unit, User

    rng = random.Random(7)
    by_size = (
        Unit.objects.filter(dossiers__isnull=False).annotate(n=Count("dossiers")).order_by("-n")
    )
    busiest = by_size.first()
    clerk = User.objects.get(role=Role.CLERK, unit=busiest)
    leader, _ = User.objects.get_or_create(
        username="bench-leader", defaults={"role": Role.LEADER, "unit": busiest.parent or busiest}
    )
    tokens = {user.pk: Token.objects.get_or_create(user=user)[0].key for user in (clerk, leader)}
    codes = list(
        Dossier.objects.filter(unit=busiest).order_by("?").values_list("code", flat=True)[:2000]
    )
    # Each scenario fills its page at both sizes (the rows are printed): a page of 2 rows at
    # 100k against one of 50 at 1M would measure the page, not the growth of the table. The
    # generated dossiers are mostly finished, so a clerk's unit has only a few open ones at 100k:
    # the open states are listed for the leader's units, and a unit over the last 90 days.
    newest = Dossier.objects.order_by("-received_at").values_list("received_at", flat=True)[0]
    days_90 = (newest - timedelta(days=90)).date().isoformat()
    params = {
        "list: clerk, state=completed": (clerk.pk, {"state": "completed"}),
        "list: leader, open states, by due": (
            leader.pk,
            {"state": ["intake", "appraisal", "approval"], "ordering": "due_at"},
        ),
        "list: leader, unit, last 90 days": (
            leader.pk,
            {"unit": busiest.code, "received_after": days_90},
        ),
        "list: leader, overdue=true": (leader.pk, {"overdue": "true"}),
        "list: leader, q=family+middle": (leader.pk, {"q": "Nguyễn Văn"}),
        "list: leader, q=full name": (leader.pk, {"q": "Nguyễn Văn Hùng"}),
        "list: leader, q=partial name": (leader.pk, {"q": "văn hùn"}),
    }

    # Transitions: each client is one specialist proposing decisions on dossiers of their own
    # unit, as at a desk. In this copy the dossiers are put back in appraisal first.
    specialists, movable = {}, {}
    if "transition" in kinds:
        for unit in by_size:
            specialist = User.objects.filter(role=Role.SPECIALIST, unit=unit).first()
            if specialist:
                specialists[unit.pk] = specialist
                tokens[specialist.pk] = Token.objects.get_or_create(user=specialist)[0].key
            if len(specialists) == 16:
                break
        per_desk = -(-transitions // len(specialists))
        for index, unit_id in enumerate(specialists):
            wanted_here = per_desk + (transitions if index == 0 else 0)
            movable[unit_id] = list(
                Dossier.objects.filter(unit_id=unit_id, procedure__issues_result=True)
                .order_by("-id")
                .values_list("code", flat=True)[:wanted_here]
            )
            if len(movable[unit_id]) < wanted_here:
                sys.exit(
                    f"unit {unit_id} has {len(movable[unit_id])} dossiers for the "
                    f"{wanted_here} transitions it is to make: lower --transitions"
                )
        moved = [c for desk in movable.values() for c in desk]
        if restore:
            save_for_restore(moved)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE procedures_dossier SET state = %s, completed_at = NULL, "
                "result_file_id = NULL, result_signed_at = NULL, result_signed_by_id = NULL "
                "WHERE code = ANY(%s)",
                [DossierState.APPRAISAL.value, moved],
            )
    # As a running deployment has it (beat runs the deadline job every 15 minutes): the dossiers
    # past their due time flagged late; the overdue list reads the flagged ones from their index.
    from procedures.services import flag_overdue_dossiers

    started = time.perf_counter()
    flagged = flag_overdue_dossiers()
    print(
        f"deadline job: {flagged:,} late dossiers flagged ({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
    dossier_count = Dossier.objects.count()
    sql_times = list_sql_times(params, tokens) if "list" in kinds else {}
    configuration = ""
    connection.close()

    shipped = shipped_environment()
    server = start_gunicorn(url, redis_url)
    results = {}
    try:
        pids = worker_pids(server.pid)
        configuration = (
            f"gunicorn -c config/gunicorn.conf.py: {len(pids)} gthread workers x "
            f"{shipped.get('WEB_THREADS') or 2} threads; "
            + ", ".join(f"{k}={v}" for k, v in shipped.items())
            + f"; Redis {redis_url}"
        )
        print(f"dossiers: {dossier_count:,}; busiest unit {busiest.code}; {configuration}")

        def measure(label, clients, *run_args, **run_kwargs):
            cpu_before, client_before = workers_cpu(server.pid), time.process_time()
            latencies, seconds, statuses = run(clients, *run_args, **run_kwargs)
            worker_cpu = workers_cpu(server.pid) - cpu_before
            client_cpu = time.process_time() - client_before
            row = {
                "n": len(latencies),
                "p50_ms": 1000 * percentile(latencies, 0.5),
                "p95_ms": 1000 * percentile(latencies, 0.95),
                "rate": len(latencies) / seconds,
                "worker_cpu_ms": 1000 * worker_cpu / len(latencies),
                "client_cpu_ms": 1000 * client_cpu / len(latencies),
                "load": os.getloadavg()[0],
                "statuses": {str(k): v for k, v in statuses.items()},
            }
            if label in sql_times:
                row["sql_ms"] = sql_times[label]
            results[f"{label}|{clients}"] = row
            print(
                f"{label:<34} clients={clients:<3} n={row['n']:<5} p50={row['p50_ms']:7.1f} ms  "
                f"p95={row['p95_ms']:7.1f} ms  {row['rate']:7.1f} req/s  worker CPU "
                f"{row['worker_cpu_ms']:.2f} ms/req  load {row['load']:.1f}  status={statuses}",
                flush=True,
            )

        # Warm every worker up (imports, connections) before anything is timed.
        warm = [("GET", f"/api/v1/dossiers/{code}/", None, clerk.pk) for code in codes[:300]]
        run(16, warm, tokens.__getitem__)
        if "list" in kinds:
            for label, (user, query) in params.items():
                path = "/api/v1/dossiers/?" + urlencode(query, doseq=True)
                jobs = [("GET", path, None, user)] * requests
                run(1, jobs[:20], tokens.__getitem__)  # warm-up
                measure(label, 1, jobs, tokens.__getitem__)
                results[f"{label}|1"]["rows"] = Client(tokens[user]).rows(path)
        if "detail" in kinds:
            jobs = [
                ("GET", f"/api/v1/dossiers/{rng.choice(codes)}/", None, clerk.pk)
                for _ in range(requests)
            ]
            measure("detail: clerk", 1, jobs, tokens.__getitem__)
        if "transition" in kinds:
            for clients in transition_clients:
                desks = [
                    [
                        (
                            "POST",
                            f"/api/v1/dossiers/{movable[unit_id].pop()}/propose/",
                            {"opinion": "Đủ điều kiện"},
                            specialists[unit_id].pk,
                        )
                        for _ in range(transitions if clients == 1 else per_desk)
                    ]
                    for unit_id in list(specialists)[:clients]
                ]
                measure("transition: propose", clients, [], tokens.__getitem__, desks=desks)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if restore and "transition" in kinds:
            restore_saved()
    return {"configuration": configuration, "scenarios": results}


SAVED = "bench_api_saved_dossiers"
# The tables a transition may write besides the dossier and its log: checked, not restored.
WATCHED = ("procedures_dossier", "procedures_dossiertransition")


def save_for_restore(codes: list) -> None:
    """Keep the dossiers about to be moved (whole rows) and the log's last id."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:  # the table whole, or not at all
        cursor.execute(f"DROP TABLE IF EXISTS {SAVED}")
        cursor.execute(
            f"CREATE TABLE {SAVED} AS SELECT * FROM procedures_dossier WHERE code = ANY(%s)",
            [codes],
        )
        cursor.execute("SELECT COALESCE(max(id), 0) FROM procedures_dossiertransition")
        (log_after,) = cursor.fetchone()
        cursor.execute(f"ALTER TABLE {SAVED} ADD COLUMN log_after bigint DEFAULT {int(log_after)}")
        cursor.execute(
            "SELECT relname, n_tup_ins FROM pg_stat_user_tables WHERE relname <> %s", [SAVED]
        )
        global _INSERTS_BEFORE
        _INSERTS_BEFORE = dict(cursor.fetchall())


_INSERTS_BEFORE: dict = {}


def restore_saved() -> None:
    """Write the saved dossiers back and delete the log entries added since; print the other
    tables that received rows meanwhile (none expected)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
            "WHERE attrelid = 'procedures_dossier'::regclass AND attnum > 0 AND NOT attisdropped "
            "AND attname <> 'id'"
        )
        (columns,) = cursor.fetchone()
        cursor.execute(
            f"DELETE FROM procedures_dossiertransition l USING {SAVED} s "
            "WHERE l.dossier_id = s.id AND l.id > s.log_after"
        )
        deleted = cursor.rowcount
        cursor.execute(
            f"UPDATE procedures_dossier d SET ({columns}) = (SELECT {columns} FROM {SAVED} s "
            f"WHERE s.id = d.id) WHERE d.id IN (SELECT id FROM {SAVED})"
        )
        restored = cursor.rowcount
        cursor.execute(f"DROP TABLE {SAVED}")
    time.sleep(1.5)  # the workers' sessions have ended and reported their statistics
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_tup_ins FROM pg_stat_user_tables")
        grown = {
            name: inserts - _INSERTS_BEFORE.get(name, 0)
            for name, inserts in cursor.fetchall()
            if _INSERTS_BEFORE
            and name not in (*WATCHED, SAVED)
            and inserts > _INSERTS_BEFORE.get(name, 0)
        }
    print(
        f"restored {restored:,} dossiers, deleted {deleted:,} log entries"
        + (f"; other tables that received rows: {grown}" if grown else ""),
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", default=SMALL_URL, help="the 100k database (its own)")
    parser.add_argument("--large", default=LARGE_URL, help="the 1M database (its own copy)")
    parser.add_argument("--skip-small", action="store_true", help="measure 1M only")
    parser.add_argument("--requests", type=int, default=400, help="per list/detail scenario")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of 100k and 1M")
    parser.add_argument("--transitions", type=int, default=3000, help="per client setting")
    parser.add_argument("--only", choices=["list", "detail", "transition"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dossiers", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default="list,detail,transition", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
