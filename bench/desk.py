"""Server time of the staff desk's queue and dossier pages on a large database (PostgreSQL).

    python bench/desk.py [--dossiers 100000] [--units 60] [--requests 200]

Fills BENCH_DATABASE_URL (default motcua_bench_desk) with `generate_dossiers` (with the log)
until it holds `--dossiers`, then renders each page `--requests` times through Django's whole
request stack (middleware, session, templates; Django's test client, no network, no web server)
and prints p50 / p95 in milliseconds of wall time, the p95 of the web process's own CPU time
(what the machine's load does not inflate as much: the database's time is not in it), and the
queries per request:

- a clerk of the unit with the most open dossiers: the queue (first page, 25 rows, by due date;
  "to digitize and forward"), its second page (keyset cursor), a search by applicant name that
  ignores accents ("nguyen van"), and the dossier page of one of its dossiers;
- a leader of the province (every unit under it, 40+): the queue of all open dossiers, the same
  filtered to overdue ones, and the dossier page (masked).

Each page is requested once first, to warm the per-process caches (unit tree, calendar).
"""

import argparse
import os
import statistics
import time

from _setup import ensure_dossiers, https, percentile, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_desk"


def measure(client, path: str, requests: int) -> tuple[list[float], list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)  # warm-up
    assert response.status_code == 200, (path, response.status_code)
    times, cpu = [], []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    rows = response.content.decode().count('class="code"')
    return times, cpu, len(queries), rows


def report(label: str, path: str, client, requests: int) -> None:
    times, cpu, queries, rows = measure(client, path, requests)
    print(
        f"{label:40} p50 {statistics.median(times):6.1f} ms  p95 {percentile(times, 0.95):6.1f} ms"
        f"  (Python CPU p95 {percentile(cpu, 0.95):5.1f} ms)  {queries:2d} queries"
        f"  {rows:3d} codes on the page",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    url = setup_django(DEFAULT_URL)
    print(f"database: {url.rsplit('/', 1)[-1]}")
    ensure_dossiers(args.dossiers, units=args.units)

    from django.db.models import Count
    from django.test import Client

    from devtools.demo_data import PROVINCE
    from procedures.models import OPEN_STATES, Dossier, Role, Unit, User
    from procedures.scoping import subtree_ids

    busiest = (
        Dossier.objects.filter(state="intake")
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    unit = Unit.objects.get(pk=busiest["unit_id"])
    province = Unit.objects.get(code=PROVINCE[0])
    clerk, _ = User.objects.get_or_create(
        username="bench.desk.clerk", defaults={"role": Role.CLERK, "unit": unit, "is_staff": True}
    )
    if clerk.unit_id != unit.pk:
        clerk.unit = unit
        clerk.save(update_fields=["unit"])
    leader, _ = User.objects.get_or_create(
        username="bench.desk.leader",
        defaults={"role": Role.LEADER, "unit": province, "is_staff": True},
    )
    units_under = len(subtree_ids(province.pk))
    open_in_unit = Dossier.objects.filter(unit=unit, state__in=OPEN_STATES).count()
    open_all = Dossier.objects.filter(state__in=OPEN_STATES).count()
    print(
        f"{Dossier.objects.count():,} dossiers; clerk's unit {unit.code}: {open_in_unit:,} open; "
        f"leader over {units_under} units: {open_all:,} open"
    )
    sample = Dossier.objects.filter(unit=unit, state="intake").order_by("due_at").first()

    clerk_client, leader_client = https(Client)(), https(Client)()
    clerk_client.force_login(clerk)
    leader_client.force_login(leader)

    first = clerk_client.get("/desk/?tab=intake").content.decode()
    marker = 'rel="next"'
    second = None
    if marker in first:
        href = first.split(marker)[0].rsplit('href="', 1)[1].split('"', 1)[0]
        second = href.replace("http://testserver", "").replace("&amp;", "&")

    report("clerk: queue, to digitize (25 rows)", "/desk/?tab=intake", clerk_client, args.requests)
    if second:
        report("clerk: queue, second page", second, clerk_client, args.requests)
    report(
        "clerk: queue, name search 'nguyen van'",
        "/desk/?tab=intake&q=nguyen+van",
        clerk_client,
        args.requests,
    )
    report("clerk: dossier page", f"/desk/dossiers/{sample.code}/", clerk_client, args.requests)
    report("leader: queue, all open (25 rows)", "/desk/?tab=open", leader_client, args.requests)
    report(
        "leader: queue, overdue only",
        "/desk/?tab=open&overdue=true",
        leader_client,
        args.requests,
    )
    report(
        "leader: dossier page (masked)",
        f"/desk/dossiers/{sample.code}/",
        leader_client,
        args.requests,
    )


if __name__ == "__main__":
    main()
