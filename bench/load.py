"""Load with a database restart: 32 clients reading and acting on dossiers through gunicorn.

Starts a throwaway PostgreSQL cluster of its own (initdb + pg_ctl on a free port in a temporary
directory, removed at the end; the machine's shared cluster is never touched), fills it with
dossiers through the services, and runs gunicorn on a free port. Each client is one clerk,
specialist or approver of the same unit, as at a desk: it opens a dossier (detail), makes the
transition its role may make now if there is one (clerks: request_supplement / resume;
specialists: propose; approvers: send_back — cycles that never run out), otherwise reads a list
page or the dossier's history.

Two runs of `--seconds` each: a plain one (no 5xx allowed), then one where the cluster is
stopped `--restart-at` seconds in and started again `--down` seconds later: 5xx are allowed only
while it is down or starting, and only as JSON 503 with Retry-After; none before or after.
After each run the consistency query checks every dossier: its state equals its last log
entry's target state, and its version equals its number of log entries (creation counts one,
each transition one; attaching a result document raises the version without a log entry, which
this load never does). Prints p50/p95, throughput and status counts. Exits 1 on any violation.

    .venv/bin/python bench/load.py [--clients 32] [--seconds 60] [--restart-at 20] [--down 5]
"""

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACTIONS = {
    "clerk": {"request_supplement": {"reason": "Thiếu giấy tờ"}, "resume": {}},
    "specialist": {"propose": {"opinion": "Đủ điều kiện"}},
    "approver": {"send_back": {"reason": "Làm rõ căn cứ"}},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- a throwaway PostgreSQL cluster --------------------------------------------------------------


class Cluster:
    """initdb + pg_ctl in a temporary directory, as the postgres user when run as root."""

    def __init__(self):
        self.bin = self._bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="motcua-load-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale",
            "C.UTF-8",
        )

    @staticmethod
    def _bindir() -> Path:
        found = shutil.which("pg_ctl")
        if found:
            return Path(found).parent
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not versions:
            raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
        return versions[-1]

    def _run(self, program: str, *args: str, check: bool = True):
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def start(self):
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200 -c shared_buffers=128MB"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/motcua_load"


# --- data --------------------------------------------------------------------------------------


def prepare(url: str, dossiers: int, clients: int) -> tuple[list, list]:
    """Migrate, load the demo catalogue, make the staff and the dossiers; (codes, clients)."""
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE motcua_load")
    os.environ.update(DATABASE_URL=url, DEBUG="false", SECRET_KEY="bench-only")
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from digitization.services import digitize_component
    from procedures import demo, services
    from procedures.models import Procedure, Role, Unit, User

    call_command("migrate", verbosity=0)
    demo.seed_catalogue()
    unit = Unit.objects.get(code=demo.DEMO_ACCOUNTS[0][2])  # the demo clerk's unit
    procedure = Procedure.objects.filter(units=unit, active=True).order_by("code").first()
    roles = ["clerk", "specialist", "approver"]
    staff = []
    for index in range(clients):
        role = roles[index % 3]
        user = User.objects.create_user(
            username=f"load-{role}-{index}", password="load-only-2026", role=role, unit=unit
        )
        staff.append((role, Token.objects.create(user=user).key))
    clerk = User.objects.filter(role=Role.CLERK, unit=unit).first()
    codes = []
    started = time.perf_counter()
    for index in range(dossiers):
        dossier = services.create_dossier(
            actor=clerk,
            procedure=procedure,
            unit=unit,
            channel="direct",
            applicant={"full_name": f"Nguyễn Văn {index}", "id_number": f"0220900{index:05d}"},
        )
        if index % 3:  # two thirds go on to appraisal; a third stay at intake for the clerks
            for component in dossier.components.all():
                digitize_component(component=component, actor=clerk, reused_from="KHO-1")
            dossier = services.perform_transition(dossier=dossier, actor=clerk, action="forward")
        codes.append(dossier.code)
    print(
        f"prepared {dossiers} dossiers of {unit.code} in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    from django.db import connections

    connections.close_all()
    return codes, staff


CONSISTENCY = """
WITH log AS (
    SELECT dossier_id, count(*) AS entries,
           (array_agg(target_state ORDER BY at DESC, id DESC))[1] AS last_target
    FROM procedures_dossiertransition GROUP BY dossier_id
)
SELECT count(*) AS dossiers,
       count(*) FILTER (WHERE log.last_target IS DISTINCT FROM d.state) AS wrong_state,
       count(*) FILTER (WHERE d.version <> coalesce(log.entries, 0)) AS wrong_version
FROM procedures_dossier d LEFT JOIN log ON log.dossier_id = d.id
"""


def consistency(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        dossiers, wrong_state, wrong_version = conn.execute(CONSISTENCY).fetchone()
    return {"dossiers": dossiers, "wrong_state": wrong_state, "wrong_version": wrong_version}


# --- the server and the clients ----------------------------------------------------------------


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "60",
        "CONN_HEALTH_CHECKS": "true",
        "LOG_LEVEL": "ERROR",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--keep-alive",
            "60",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(150):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/api/v1/dossiers/")  # 401 without a token: cheap
                if connection.getresponse().status == 401:
                    return process
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start")
    except BaseException:
        process.terminate()
        process.wait(timeout=30)
        raise


class Desk:
    """One member of staff: their own keep-alive connection and token."""

    def __init__(self, port: int, role: str, token: str, codes: list, seed: int):
        self.port, self.role, self.codes = port, role, codes
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.rng = random.Random(seed)
        self.connection = None

    def call(self, method: str, path: str, body=None):
        payload = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=payload, headers=self.headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, response, data, time.perf_counter() - started
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connection.close()  # an idle keep-alive connection closed: reconnect once
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def step(self):
        """Open a dossier; act on it if this role can now, else read a list or its history."""
        code = self.rng.choice(self.codes)
        yield "GET", f"/api/v1/dossiers/{code}/", None
        if self.last_status == 200:
            allowed = [
                a for a in json.loads(self.last_body)["transitions"] if a in ACTIONS[self.role]
            ]
            if allowed:
                action = self.rng.choice(allowed)
                yield "POST", f"/api/v1/dossiers/{code}/{action}/", ACTIONS[self.role][action]
                return
        if self.rng.random() < 0.5:
            state = self.rng.choice(["intake", "appraisal", "approval", "supplement"])
            yield "GET", f"/api/v1/dossiers/?state={state}&page_size=20", None
        else:
            yield "GET", f"/api/v1/dossiers/{code}/history/", None


class Run:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []  # (started at, seconds, status, kind, problem)

    def record(self, at, seconds, status, kind, problem):
        with self.lock:
            self.records.append((at, seconds, status, kind, problem))


def json_503(response, data) -> str | None:
    """None when a 503 is the promised one: JSON error shape, code unavailable, Retry-After."""
    try:
        body = json.loads(data)
    except ValueError:
        return "503 not JSON"
    if body.get("error", {}).get("code") != "unavailable":
        return f"503 with code {body.get('error', {}).get('code')!r}"
    if not response.getheader("Retry-After"):
        return "503 without Retry-After"
    return None


def load(port: int, staff: list, codes: list, seconds: float, on_tick=None) -> Run:
    run = Run()
    deadline = time.monotonic() + seconds

    def client(index, role, token):
        desk = Desk(port, role, token, codes, seed=index)
        desk.last_status, desk.last_body = None, b""
        while time.monotonic() < deadline:
            for method, path, body in desk.step():
                at = time.monotonic()
                try:
                    status, response, data, spent = desk.call(method, path, body)
                except OSError as error:
                    run.record(at, time.monotonic() - at, 0, method, f"connection: {error}")
                    desk.connection = None
                    break
                problem = None
                if status == 503:
                    problem = json_503(response, data)
                elif status >= 500:
                    problem = f"{status}"
                desk.last_status, desk.last_body = status, data
                run.record(at, spent, status, "transition" if method == "POST" else "read", problem)

    threads = [
        threading.Thread(target=client, args=(index, role, token))
        for index, (role, token) in enumerate(staff)
    ]
    for thread in threads:
        thread.start()
    if on_tick:
        on_tick()
    for thread in threads:
        thread.join()
    return run


def report(label: str, run: Run, seconds: float, windows=None) -> bool:
    latencies = [r[1] for r in run.records if r[2] and r[2] < 500]
    statuses = Counter(r[2] for r in run.records)
    kinds = Counter(r[3] for r in run.records if r[2] and r[2] < 400)
    print(
        f"{label}: {len(run.records)} requests in {seconds:.0f} s = "
        f"{len(run.records) / seconds:.0f} req/s; successful transitions "
        f"{kinds['transition']} ({kinds['transition'] / seconds:.0f}/s), reads {kinds['read']}; "
        f"p50 {1000 * percentile(latencies, 0.5):.1f} ms, "
        f"p95 {1000 * percentile(latencies, 0.95):.1f} ms"
    )
    print(f"  statuses {dict(sorted(statuses.items()))}")
    ok = True
    bad = Counter(r[4] or r[2] for r in run.records if r[4] or r[2] >= 500 or r[2] == 0)
    if windows is None:
        errors = [r for r in run.records if r[2] >= 500 or r[2] == 0]
        if errors:
            ok = False
            print(f"  FAIL: {len(errors)} server errors or dropped connections: {bad}")
    else:
        down_from, up_at = windows
        # a request in flight when the database stopped belongs to the window too
        before = [r for r in run.records if r[0] + r[1] < down_from and (r[2] >= 500 or r[2] == 0)]
        during = [r for r in run.records if r[0] < up_at and r[0] + r[1] >= down_from]
        after = [r for r in run.records if r[0] >= up_at and (r[2] >= 500 or r[2] == 0)]
        wrong = [r for r in during if (r[2] >= 500 and r[2] != 503) or r[4] or r[2] == 0]
        during_503 = sum(1 for r in during if r[2] == 503)
        print(
            f"  database down or starting for {up_at - down_from:.1f} s: {len(during)} requests, "
            f"{during_503} JSON 503 with Retry-After, {len(wrong)} other failures; "
            f"5xx before: {len(before)}, after: {len(after)}"
        )
        if before or after or wrong:
            ok = False
            print(f"  FAIL: {Counter(r[4] or r[2] for r in before + wrong + after)}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--dossiers", type=int, default=600)
    parser.add_argument("--restart-at", type=float, default=20)
    parser.add_argument("--down", type=float, default=5, help="seconds the database stays down")
    args = parser.parse_args()

    cluster = Cluster()
    server = None
    ok = True
    try:
        cluster.start()
        codes, staff = prepare(cluster.url, args.dossiers, args.clients)
        port = free_port()
        server = start_gunicorn(cluster.url, port, cluster.dir / "gunicorn.log")
        print(
            f"gunicorn on 127.0.0.1:{port} (4 gthread workers x 4 threads), "
            f"PostgreSQL on 127.0.0.1:{cluster.port}, {args.clients} clients",
            flush=True,
        )

        started = time.monotonic()
        run = load(port, staff, codes, args.seconds)
        ok &= report("steady", run, time.monotonic() - started)
        found = consistency(cluster.url)
        print(f"  consistency: {found}")
        ok &= found["wrong_state"] == 0 and found["wrong_version"] == 0

        window = {}

        def restart():
            time.sleep(args.restart_at)
            window["down"] = time.monotonic()
            cluster.stop()
            time.sleep(args.down)
            cluster.start()  # -w: returns once it accepts connections
            window["up"] = time.monotonic()

        started = time.monotonic()
        run = load(port, staff, codes, args.seconds, on_tick=restart)
        ok &= report("restart", run, time.monotonic() - started, (window["down"], window["up"]))
        found = consistency(cluster.url)
        print(f"  consistency: {found}")
        ok &= found["wrong_state"] == 0 and found["wrong_version"] == 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        log = cluster.dir / "gunicorn.log"
        if not ok and log.exists():
            errors = [line for line in log.read_text().splitlines() if "Unavailable" not in line]
            print("gunicorn's log (without the 503 lines), last 40 lines:", *errors[-40:], sep="\n")
        cluster.remove()
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
