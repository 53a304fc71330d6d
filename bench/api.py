"""The API through gunicorn on PostgreSQL: latency of the filtered list, the detail and a
transition, with 1 and 16 concurrent clients.

    python bench/api.py [--dossiers 1000000] [--requests 400] [--transitions 3000]

Starts gunicorn (gthread workers) on the benchmark database, talks to it over HTTP with
keep-alive connections from client threads, and prints p50/p95 per scenario and throughput.
In the transition scenario each client is one specialist working through dossiers of their own
unit (16 clients: 16 specialists of the 16 busiest units), proposing a decision on each.
Targets: list p95 < 100 ms with 1 client; >= 150 transitions/s with 16 clients.
"""

import argparse
import http.client
import json
import os
import random
import subprocess
import threading
import time
from urllib.parse import urlencode

from _setup import MILLION_URL, ROOT, ensure_dossiers, percentile, setup_django

PORT = 8765


def start_gunicorn(url: str, workers: int, threads: int, worker_class: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            worker_class,
            "--keep-alive",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/admin/login/")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


class Client:
    def __init__(self, token: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

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


def report(label: str, clients: int, latencies, seconds, statuses) -> None:
    print(
        f"{label:<34} clients={clients:<3} n={len(latencies):<5} "
        f"p50={1000 * percentile(latencies, 0.5):7.1f} ms  "
        f"p95={1000 * percentile(latencies, 0.95):7.1f} ms  "
        f"{len(latencies) / seconds:7.1f} req/s  status={statuses}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400, help="per list/detail scenario")
    parser.add_argument("--transitions", type=int, default=3000, help="per client setting")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument(
        "--only", choices=["list", "detail", "transition"], help="run one kind of scenario"
    )
    args = parser.parse_args()

    def wanted(kind: str) -> bool:
        return args.only in (None, kind)

    url = setup_django(MILLION_URL)
    ensure_dossiers(args.dossiers, units=225)

    from django.db import connection
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from procedures.models import Dossier, DossierState, Role, Unit, User

    rng = random.Random(7)
    busiest = (
        Unit.objects.filter(dossiers__isnull=False)
        .annotate(n=Count("dossiers"))
        .order_by("-n")
        .first()
    )
    clerk = User.objects.get(role=Role.CLERK, unit=busiest)
    leader, _ = User.objects.get_or_create(
        username="bench-leader", defaults={"role": Role.LEADER, "unit": busiest.parent or busiest}
    )
    tokens = {user.pk: Token.objects.get_or_create(user=user)[0].key for user in (clerk, leader)}

    codes = list(
        Dossier.objects.filter(unit=busiest).order_by("?").values_list("code", flat=True)[:2000]
    )
    month_ago = (
        (Dossier.objects.order_by("-received_at").values_list("received_at", flat=True).first())
        .date()
        .replace(day=1)
        .isoformat()
    )
    lists = {
        "list: clerk, state=completed": (
            clerk.pk,
            {"state": "completed"},
        ),
        "list: clerk, open states, by due": (
            clerk.pk,
            {"state": ["intake", "appraisal", "approval"], "ordering": "due_at"},
        ),
        "list: leader, unit + since month": (
            leader.pk,
            {"unit": busiest.code, "received_after": month_ago},
        ),
        "list: leader, overdue=true": (leader.pk, {"overdue": "true"}),
        "list: leader, q=name": (leader.pk, {"q": "Nguyễn Văn"}),
    }

    # The transition scenario: each client is one specialist proposing decisions on dossiers
    # of their own unit, as at a desk (so a worker checks a client's token once, as in service).
    # The dossiers are put back in appraisal as appraisal dossiers are: no result document, not
    # signed, not completed.
    specialists = {}
    for unit in (
        Unit.objects.filter(dossiers__isnull=False).annotate(n=Count("dossiers")).order_by("-n")
    ):
        specialist = User.objects.filter(role=Role.SPECIALIST, unit=unit).first()
        if specialist:
            specialists[unit.pk] = specialist
            tokens[specialist.pk] = Token.objects.get_or_create(user=specialist)[0].key
        if len(specialists) == 16:
            break
    desk_units = [Unit.objects.get(pk=pk) for pk in specialists]
    per_desk = -(-args.transitions // len(desk_units))
    movable = {}
    for index, unit in enumerate(desk_units):
        wanted_here = per_desk + (args.transitions if index == 0 else 0)
        movable[unit.pk] = list(
            Dossier.objects.filter(unit=unit, procedure__issues_result=True)
            .order_by("-id")
            .values_list("code", flat=True)[:wanted_here]
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procedures_dossier SET state = %s, completed_at = NULL, result_file_id = NULL,"
            " result_signed_at = NULL, result_signed_by_id = NULL WHERE code = ANY(%s)",
            [DossierState.APPRAISAL.value, [code for desk in movable.values() for code in desk]],
        )
        cursor.execute("ANALYZE procedures_dossier")
    connection.close()

    server = start_gunicorn(url, args.workers, args.threads, args.worker_class)
    try:
        print(
            f"dossiers: {Dossier.objects.count():,}; busiest unit {busiest.code}; gunicorn "
            f"{args.workers} {args.worker_class} workers x {args.threads} threads"
        )
        # Warm every worker up (imports, connections) before anything is timed.
        warm = [("GET", f"/api/v1/dossiers/{code}/", None, clerk.pk) for code in codes[:300]]
        run(16, warm, tokens.__getitem__)
        for clients in (1, 16):
            for label, (user, params) in lists.items() if wanted("list") else ():
                path = "/api/v1/dossiers/?" + urlencode(params, doseq=True)
                jobs = [("GET", path, None, user)] * args.requests
                run(clients, jobs[:20], tokens.__getitem__)  # warm-up
                report(label, clients, *run(clients, jobs, tokens.__getitem__))
            jobs = [
                ("GET", f"/api/v1/dossiers/{rng.choice(codes)}/", None, clerk.pk)
                for _ in range(args.requests)
            ]
            if wanted("detail"):
                report("detail: clerk", clients, *run(clients, jobs, tokens.__getitem__))
            if wanted("transition"):
                desks = [
                    [
                        (
                            "POST",
                            f"/api/v1/dossiers/{movable[unit.pk].pop()}/propose/",
                            {"opinion": "Đủ điều kiện"},
                            specialists[unit.pk].pk,
                        )
                        for _ in range(args.transitions if clients == 1 else per_desk)
                    ]
                    for unit in desk_units[:clients]
                ]
                report(
                    "transition: propose",
                    clients,
                    *run(clients, [], tokens.__getitem__, desks=desks),
                )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
