"""The citizens' look-up page and the leaders' dashboard on PostgreSQL.

    python bench/public.py [--dossiers 1000000] [--units 225] [--requests 300]

1. Fills the benchmark database (BENCH_DATABASE_URL, default the shared million-dossier one) with
   `--dossiers` dossiers over `--units` units and the past 365 days, unless it holds them already,
   and computes the metrics tables if they are empty.
2. The look-up page: `POST /tra-cuu/` with a random dossier's code and the last 4 characters of
   its ID number (the throttles run, with rates raised so they never refuse), in-process through
   Django's test client (full middleware, no network; CONN_MAX_AGE=60 as in production).
   p50/p95; target p95 < 30 ms. The API's look-up is measured beside it, as a reference.
3. The dashboard for the whole province over a year (`/dashboard/?period=year`, then the same
   with the weekly trend), as a leader of the province root unit, the metrics reading cache off
   (every request reads the metrics tables): p50/p95; target p95 < 200 ms. Then with the cache.
"""

import argparse
import os
import random
import time

from _setup import MILLION_URL, ensure_dossiers, https, percentile, setup_django

TARGET_LOOKUP, TARGET_DASHBOARD = 0.030, 0.200


def bench_lookup(requests: int, seed: int) -> list[float]:
    from django.test import Client

    from procedures.models import Dossier

    rng = random.Random(seed)
    top = Dossier.objects.order_by("-id").values_list("id", flat=True).first()
    picked = []
    while len(picked) < min(requests, 500):
        found = (
            Dossier.objects.filter(id__gte=rng.randint(1, top))
            .exclude(applicant_id_number="")
            .order_by("id")
            .values_list("code", "applicant_id_number")
            .first()
        )
        if found:
            picked.append(found)
    client = https(Client)()
    client.get("/tra-cuu/")
    for code, number in picked[:10]:  # warm-up
        client.post("/tra-cuu/", {"ma": code, "so_cuoi": number[-4:]})
    times = []
    for n in range(requests):
        code, number = picked[n % len(picked)]
        started = time.perf_counter()
        response = client.post("/tra-cuu/", {"ma": code, "so_cuoi": number[-4:]})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
    return times


def bench_api_lookup(requests: int, seed: int) -> list[float]:
    """The same look-up through the public API (JSON): the reference the page is measured by."""
    from django.test import Client

    from procedures.models import Dossier

    rows = list(
        Dossier.objects.exclude(applicant_id_number="")
        .order_by("?")
        .values_list("code", "applicant_id_number")[: min(requests, 500)]
    )
    client = https(Client)()
    times = []
    for n in range(requests):
        code, number = rows[n % len(rows)]
        started = time.perf_counter()
        response = client.get(f"/api/v1/public/dossiers/{code}/", {"id_last4": number[-4:]})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
    return times


def bench_dashboard(requests: int, params: dict) -> list[float]:
    from django.test import Client

    from procedures.models import Role, Unit, User

    root = Unit.objects.filter(parent__isnull=True).order_by("id").first()
    leader, _ = User.objects.get_or_create(
        username="bench.public.leader", defaults={"role": Role.LEADER, "unit": root}
    )
    client = https(Client)()
    client.force_login(leader)
    for _ in range(3):  # warm-up
        client.get("/dashboard/", params)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/dashboard/", params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
        assert b"<tr data-unit=" in response.content
    return times


def report(name: str, times: list[float]) -> float:
    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    print(f"  {name:<34} p50 {p50 * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    return p95


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=225)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    os.environ.setdefault("ALLOWED_HOSTS", "testserver")  # Django's test client, DEBUG off
    os.environ.setdefault("CONN_MAX_AGE", "60")  # as in production (README, Deployment)
    url = setup_django(MILLION_URL)
    print(f"database {url.rsplit('/', 1)[-1]}")
    ensure_dossiers(args.dossiers, units=args.units)

    from django.test import override_settings

    from digitization.metrics import recompute_metrics
    from digitization.models import UnitDayMetrics
    from procedures.models import Dossier

    if not UnitDayMetrics.objects.exists():
        started = time.perf_counter()
        recompute_metrics()
        print(f"metrics computed in {time.perf_counter() - started:.1f} s")
    print(f"{Dossier.objects.count():,} dossiers; {args.requests} requests each, in-process")

    with override_settings(
        PUBLIC_LOOKUP_RATE_PER_CLIENT="100000000/min",
        PUBLIC_LOOKUP_RATE_PER_DOSSIER="100000000/min",
    ):
        lookup = report("look-up page POST /tra-cuu/", bench_lookup(args.requests, args.seed))
        report("(reference: the API's look-up, JSON)", bench_api_lookup(args.requests, args.seed))
    with override_settings(METRICS_CACHE_SECONDS=0):
        year = report(
            "dashboard, province, year, monthly",
            bench_dashboard(args.requests, {"period": "year"}),
        )
        report(
            "dashboard, province, year, weekly",
            bench_dashboard(args.requests // 3, {"period": "year", "granularity": "week"}),
        )
    report("dashboard, same, reading cache on", bench_dashboard(args.requests, {"period": "year"}))

    verdict = {
        "look-up page p95 < 30 ms": lookup < TARGET_LOOKUP,
        "province-wide year dashboard p95 < 200 ms (no cache)": year < TARGET_DASHBOARD,
    }
    for name, ok in verdict.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
