"""1M against 10M dossiers side by side, in one run (issue 17's acceptance): every list scenario's
p95, transitions per second, a day's metrics update, the rankings p95 and the province-wide
accountability reports.

    python bench/scale.py                     # both databases (generated once if missing)
    python bench/scale.py --only accountability
    python bench/scale.py --small URL --large URL

Each database is measured in a child process of its own (Django set up once in it), which
writes its figures as JSON; the parent prints the table, each figure with the load average (1
minute) at the moment it was taken. The code measured is the other benchmarks', imported:

- lists and transitions: `bench/api.py` (`measure_api`): the shipped configuration (gunicorn
  with config/gunicorn.conf.py, .env.example's connection settings, Redis as REDIS_URL, DEBUG
  off) after VACUUM ANALYZE; each list of `api.LISTS` `--requests` times from one client (p95,
  and the list's SQL alone in the database, median of 21 EXPLAIN ANALYZE); `propose` from 16
  clients over HTTP (each a specialist at their own unit's dossiers), `--transitions` in all;
- a day's metrics update: `bench/metrics.py`'s `day_update` (new dossiers and as many
  completed, then the timed `refresh_metrics()`, rolled back), `--day-repeat` times each (the
  median judged; every run printed, the first right after VACUUM ANALYZE): the data's own day
  (dossiers/365, as bench/metrics.py: the generator spreads them over a year) and a province's
  day at either size (2M/365 = 5,479); the metrics tables are computed first
  (`recompute_metrics`) if the database has none, and any change since the last run absorbed
  (untimed);
- rankings: `bench/metrics.py`'s `bench_rankings`, in-process over HTTPS, readings computed every
  time (no cache), a leader of the province root unit, a whole year;
- province-wide accountability: `bench/accountability.py`'s `province_wide`: the staff and the
  unit report as an administrator over the dossiers received in the last 90 days (median of
  `--repeat`).

Databases: its own, never the shared ones. `--small` (default motcua_scale_1m) and `--large`
(default motcua_scale_10m) are generated with `generate_dossiers --fast` over 225 units when
they hold no dossiers (1M about 2 minutes, 10M about 18 minutes and 21 GB here). The database is
left as found: the day's metrics work is rolled back, and the dossiers the transitions move are
written back from a copy taken before, their new log entries deleted (api.measure_api's
`restore`). What remains: the deadline job's flags (late dossiers marked, as the running job
marks them), VACUUM/ANALYZE's effects, the metrics' bookkeeping (the refresh before
the day absorbs earlier changes), the benchmark's leader users and API tokens.

Targets at 10M: each list p95 < 30 ms and <= 1.3 x its 1M p95; a day's metrics update < 1 s;
rankings p95 < 50 ms; each province-wide accountability report < 1 s.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlparse

SMALL_URL = "postgres://postgres@127.0.0.1:5432/motcua_scale_1m"
LARGE_URL = "postgres://postgres@127.0.0.1:5432/motcua_scale_10m"
KINDS = ("metrics", "rankings", "accountability", "list", "transition")
PROVINCE_DAY = 2_000_000 // 365  # a province's day: about 2M dossiers a year (issue 17)
PORT = 8766  # apart from bench/api.py's, which may run at the same time
TARGET_LIST_MS, TARGET_LIST_RATIO = 30.0, 1.3
TARGET_DAY_S, TARGET_RANKINGS_MS, TARGET_ACCOUNTABILITY_MS = 1.0, 50.0, 1000.0


def load() -> float:
    return os.getloadavg()[0]


def bench_module(name: str):
    """bench/<name>.py imported as bench_<name>: the project has packages of the same names (its
    `api`), ahead on sys.path once Django is set up."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", Path(__file__).with_name(f"{name}.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the child: one database --------------------------------------------------------------------


def child(args) -> None:
    sys.argv = sys.argv[:1]
    os.environ["BENCH_DATABASE_URL"] = args.child
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    warnings.filterwarnings("ignore", message="No directory at")  # static files not collected
    from _setup import ROOT, ensure_dossiers, percentile, setup_django

    # Celery's loader imports with the working directory on sys.path: from bench/, its
    # documents.py would stand for the project's documents app.
    os.chdir(ROOT)
    url = setup_django()
    from django.db import connection

    from procedures.models import Dossier, DossierTransition

    api, metrics, accountability = map(bench_module, ("api", "metrics", "accountability"))
    api.PORT = args.port
    if not Dossier.objects.exists():
        ensure_dossiers(args.dossiers, units=225)
    kinds = set(args.kinds.split(","))
    found = {"dossiers": Dossier.objects.count()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [DossierTransition._meta.db_table],
        )
        found["log_rows_estimate"] = cursor.fetchone()[0]
    print(f"dossiers: {found['dossiers']:,}; log rows (estimate) {found['log_rows_estimate']:,}")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)

    if kinds & {"metrics", "rankings", "accountability"}:
        from digitization.metrics import recompute_metrics, refresh_accountability, refresh_metrics
        from digitization.models import UnitDayMetrics

        if not UnitDayMetrics.objects.exists():
            started = time.perf_counter()
            recompute_metrics(wait_seconds=0)
            print(f"recompute_metrics(): {time.perf_counter() - started:.1f} s", flush=True)
            metrics.vacuum_metrics()
        # Untimed: the summaries catch up with any change made since the last run (and are
        # built where the code has tables a metrics run builds the first time).
        started = time.perf_counter()
        refresh_metrics()
        refresh_accountability()
        print(
            f"refresh_metrics() and refresh_accountability() catching up: "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )

    if "metrics" in kinds:
        # The data's own day (its dossiers spread over the year generated: bench/metrics.py's
        # rule), then a province's day whatever the size (PROVINCE_DAY: 2M dossiers a year).
        for key, per_day in (
            ("day_update", found["dossiers"] // 365),
            ("province_day_update", PROVINCE_DAY),
        ):
            runs = []
            for _ in range(args.day_repeat):
                seconds, refreshed, written, caught_up = metrics.day_update(per_day, check=False)
                runs.append(seconds)
                print(
                    f"a day's metrics update ({per_day:,} new): {seconds:.3f} s ({refreshed:,} "
                    f"dossiers), load {load():.1f}",
                    flush=True,
                )
                metrics.vacuum_metrics()
            found[key] = {
                "seconds": sorted(runs)[len(runs) // 2],
                "runs": runs,
                "per_day": per_day,
                "refreshed": refreshed,
                "written": written,
                "accountability_seconds": caught_up[0],
                "load": load(),
            }

    if "rankings" in kinds:
        times = metrics.rankings_uncached(args.rankings)
        found["rankings"] = {
            "n": len(times),
            "p50_ms": 1000 * percentile(times, 0.5),
            "p95_ms": 1000 * percentile(times, 0.95),
            "load": load(),
        }
        print(f"rankings: p95 {found['rankings']['p95_ms']:.1f} ms, load {load():.1f}", flush=True)

    if "accountability" in kinds:
        found["accountability"] = {}
        for kind, times, rows, scope in accountability.province_wide(args.days, args.repeat):
            ordered = sorted(times)
            found["accountability"][kind] = {
                "median_ms": ordered[len(ordered) // 2],
                "best_ms": ordered[0],
                "rows": rows,
                "scope": scope,
                "load": load(),
            }
            print(
                f"accountability, {kind} report: median {ordered[len(ordered) // 2]:.0f} ms "
                f"({scope:,} dossiers), load {load():.1f}",
                flush=True,
            )

    api_kinds = kinds & {"list", "transition"}
    if api_kinds:
        measured = api.measure_api(
            url,
            kinds=api_kinds,
            requests=args.requests,
            transitions=args.transitions,
            transition_clients=(16,),
            restore=True,
        )
        found["configuration"] = measured["configuration"]
        found["api"] = measured["scenarios"]
    Path(args.json).write_text(json.dumps(found, ensure_ascii=False))


# --- the parent: one child per database, then the table -------------------------------------


def run_child(url: str, dossiers: int, args, out: Path) -> dict:
    command = [
        sys.executable, str(Path(__file__)), "--child", url, "--dossiers", str(dossiers),
        "--kinds", args.only or ",".join(KINDS), "--json", str(out),
        "--requests", str(args.requests), "--transitions", str(args.transitions),
        "--rankings", str(args.rankings), "--repeat", str(args.repeat), "--days", str(args.days),
        "--port", str(args.port), "--day-repeat", str(args.day_repeat),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def parent(args) -> None:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for size, url, dossiers in (("1M", args.small, 1_000_000), ("10M", args.large, 10_000_000)):
            print(f"== {size}: {urlparse(url).path.lstrip('/')}", flush=True)
            results[size] = run_child(url, dossiers, args, Path(folder) / f"{size}.json")
    print_table(results["1M"], results["10M"], args.repeat)


def print_table(a: dict, b: dict, repeat: int) -> None:
    """The side-by-side table of two children's figures (1M in `a`, 10M in `b`)."""
    LISTS = bench_module("api").LISTS
    print()
    print(
        f"1M: {a['dossiers']:,} dossiers, ~{a['log_rows_estimate']:,} log rows; "
        f"10M: {b['dossiers']:,} dossiers, ~{b['log_rows_estimate']:,} log rows"
    )
    if "configuration" in b:
        print(f"shipped configuration: {b['configuration']}")
    print(
        f"{'scenario':<40} {'1M':>10} {'10M':>10} {'10M/1M':>7} {'SQL 1M':>8} {'SQL 10M':>8}"
        f"  {'load 1M | 10M':<14} verdict at 10M"
    )

    def line(label, x, y, unit, ratio=True, sql=("", ""), judged=""):
        value = f"{x['value']:8.1f}{unit} {y['value']:8.1f}{unit}"
        share = f"{y['value'] / x['value']:7.2f}" if ratio else f"{'':7}"
        loads = f"{x['load']:4.1f} | {y['load']:4.1f}"
        print(f"{label:<40} {value} {share} {sql[0]:>8} {sql[1]:>8}  {loads:<14} {judged}")

    for label in LISTS:
        x, y = (r.get("api", {}).get(f"{label}|1") for r in (a, b))
        if not x or not y:
            continue
        ratio = y["p95_ms"] / x["p95_ms"]
        judged = verdict(y["p95_ms"] < TARGET_LIST_MS and ratio <= TARGET_LIST_RATIO)
        line(
            f"{label} p95", {**x, "value": x["p95_ms"]}, {**y, "value": y["p95_ms"]}, "ms",
            sql=(f"{x['sql_ms']:.2f}ms", f"{y['sql_ms']:.2f}ms"),
            judged=f"{judged} (< {TARGET_LIST_MS:.0f} ms, <= {TARGET_LIST_RATIO} x 1M)",
        )  # fmt: skip
    x, y = (r.get("api", {}).get("transition: propose|16") for r in (a, b))
    if x and y:
        line("transitions (propose), 16 clients, /s", {**x, "value": x["rate"]},
             {**y, "value": y["rate"]}, "  ", judged="(no target)")  # fmt: skip
        print(
            f"{'':<40} worker CPU {x['worker_cpu_ms']:.2f} | {y['worker_cpu_ms']:.2f} ms per "
            f"transition; p95 {x['p95_ms']:.0f} | {y['p95_ms']:.0f} ms; statuses "
            f"{x['statuses']} | {y['statuses']}"
        )
    for key, what in (("day_update", "size/365"), ("province_day_update", "2M/365")):
        if key not in b:
            continue
        x, y = a[key], b[key]
        line(
            f"a day's metrics update ({what})", {**x, "value": 1000 * x["seconds"]},
            {**y, "value": 1000 * y["seconds"]}, "ms",
            judged=f"{verdict(y['seconds'] < TARGET_DAY_S)} (< {TARGET_DAY_S:.0f} s)",
        )  # fmt: skip
        print(
            f"{'':<40} new dossiers {x['per_day']:,} | {y['per_day']:,}; dossiers taken by "
            f"the refresh {x['refreshed']:,} | {y['refreshed']:,}; then the accountability "
            f"tables' own run {x.get('accountability_seconds', 0):.2f} | "
            f"{y.get('accountability_seconds', 0):.2f} s (no target)"
        )
        runs = [" ".join(f"{s:.3f}" for s in r.get("runs", [r["seconds"]])) for r in (x, y)]
        print(
            f"{'':<40} the median of the runs, in order (the first right after VACUUM ANALYZE, "
            f"its tables out of the cache): {runs[0]} | {runs[1]} s"
        )
    if "rankings" in b:
        x, y = a["rankings"], b["rankings"]
        line(
            "rankings p95 (no cache)", {**x, "value": x["p95_ms"]}, {**y, "value": y["p95_ms"]},
            "ms", judged=f"{verdict(y['p95_ms'] < TARGET_RANKINGS_MS)} (< 50 ms)",
        )  # fmt: skip
    for kind in ("staff", "unit"):
        x, y = (r.get("accountability", {}).get(kind) for r in (a, b))
        if not x or not y:
            continue
        line(
            f"accountability, {kind} report, province",
            {**x, "value": x["median_ms"]}, {**y, "value": y["median_ms"]}, "ms",
            judged=f"{verdict(y['median_ms'] < TARGET_ACCOUNTABILITY_MS)} (< 1 s)",
        )  # fmt: skip
        print(
            f"{'':<40} median of {repeat}; dossiers in scope {x['scope']:,} | "
            f"{y['scope']:,}; rows {x['rows']} | {y['rows']}"
        )
    print("SQL: the list's statement in the database alone, median of 21 EXPLAIN ANALYZE.")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", default=SMALL_URL, help="the 1M database (its own)")
    parser.add_argument("--large", default=LARGE_URL, help="the 10M database (its own)")
    parser.add_argument("--only", help=f"comma-separated among {','.join(KINDS)}")
    parser.add_argument("--requests", type=int, default=400, help="per list scenario")
    parser.add_argument("--transitions", type=int, default=3000, help="proposals, 16 clients")
    parser.add_argument("--rankings", type=int, default=300, help="rankings requests")
    parser.add_argument("--repeat", type=int, default=5, help="each accountability report")
    parser.add_argument("--days", type=int, default=90, help="accountability period")
    parser.add_argument(
        "--day-repeat", type=int, default=3, help="runs of each day's metrics update (median)"
    )
    parser.add_argument("--port", type=int, default=PORT, help="gunicorn's port")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dossiers", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default=",".join(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only and not set(args.only.split(",")) <= set(KINDS):
        parser.error(f"--only takes {','.join(KINDS)}")
    if args.child:
        child(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
