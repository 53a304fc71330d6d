"""The metrics on PostgreSQL: full recomputation against one raw SQL query, one day's
incremental update, and the rankings endpoint's latency.

    python bench/metrics.py [--dossiers 1000000] [--units 225] [--requests 300]

1. Fills the benchmark database (BENCH_DATABASE_URL) with `--dossiers` dossiers over `--units`
   units and the past 365 days (generate_dossiers), unless it holds them already.
2. Full recomputation (`recompute_metrics()`: the per-dossier facts, then the per-unit, per-day
   table) against the same per-unit, per-day aggregate written as one raw SQL query straight from
   the dossiers, in the same run; the two results must be identical. Target: < 60 s.
3. One day's incremental update: a day's work (about dossiers/365 new dossiers, and as many open
   ones completed) is written, then `refresh_metrics()` takes the dossiers changed since the day
   before. Target: < 1 s. The day's work is rolled back afterwards, so the database stays as
   generated; the table is checked against the raw query again before the rollback.
4. The rankings endpoint, called in-process through Django's test client (full middleware and
   DRF stack, no network), as a leader of the province root unit, for a whole year, rotating over
   blocks and indicators: p50 and p95, computed every time (the target, p95 < 50 ms), then with
   the readings cached until the next metrics run (METRICS_CACHE_SECONDS).
"""

import argparse
import os
import random
import time
from datetime import timedelta

from _setup import MILLION_URL, ensure_dossiers, https, percentile, setup_django

TARGET_FULL, TARGET_INCREMENTAL, TARGET_P95 = 60.0, 1.0, 0.050


def raw_aggregate_sql(tz: str) -> str:
    """The per-unit, per-day counts from the dossiers in one statement, written independently of
    digitization.metrics (same definitions: see its docstring)."""

    def day(column: str) -> str:
        return f"(({column}) AT TIME ZONE '{tz}')::date"

    ended = "COALESCE(d.paused_at, d.completed_at)"
    result_kept = "(NOT p.issues_result OR d.result_file_id IS NOT NULL)"
    issued = "d.state IN ('delivery', 'completed')"
    # (day column, the counts on it) in the table's column order; "*" counts every row.
    families = [
        ("received_day", ["*", "online", "digitized", "reused"]),
        ("finished_day", ["*", "on_time", "needs_result", "has_result"]),
        ("overdue_from", ["*"]),
        ("overdue_until", ["*"]),
        ("rated_day", ["*", "not_satisfied"]),
        (
            "accepted_day",
            [
                "*", "on_time_ended", "online_national", "direct", "postal", "paper_result",
                "result_issued", "e_result", "digitized_any", "digitized_all", "reused",
                "not_satisfied", "not_satisfied AND NOT on_time_ended",
            ],
        ),
        ("ended_day", ["*", "on_time_ended"]),
    ]  # fmt: skip
    width = sum(len(counts) for _day, counts in families)
    selects, offset = [], 0
    for column, counts in families:
        values = ["0"] * width
        for index, condition in enumerate(counts):
            values[offset + index] = (
                "count(*)" if condition == "*" else f"count(*) FILTER (WHERE {condition})"
            )
        offset += len(counts)
        selects.append(
            f"SELECT unit_id, {column} AS day, {', '.join(values)} "
            f"FROM facts WHERE {column} IS NOT NULL GROUP BY 1, 2"
        )
    sums = ", ".join(f"SUM(v{n})" for n in range(width))
    names = ", ".join(f"v{n}" for n in range(width))
    return f"""
    WITH components AS (
        SELECT dossier_id,
               bool_or(required AND status = 'pending') AS missing,
               bool_or(status = 'reused') AS reused,
               bool_or(status <> 'pending') AS any_digitized
        FROM procedures_dossiercomponent GROUP BY dossier_id
    ), ends AS (
        SELECT d.id,
            CASE WHEN d.accepted_at IS NULL THEN NULL
                 WHEN d.state = 'supplement' THEN d.paused_at
                 WHEN {issued} THEN COALESCE(d.result_signed_at, d.completed_at)
                 WHEN d.state IN ('rejected', 'withdrawn') THEN d.completed_at END AS end_at
        FROM procedures_dossier d
    ), facts AS (
        SELECT d.unit_id,
            CASE WHEN d.state <> 'refused' THEN {day("d.received_at")} END AS received_day,
            d.channel = 'online' AS online,
            NOT COALESCE(c.missing, false) AND NOT (d.state = 'completed' AND p.issues_result
                AND d.result_file_id IS NULL) AS digitized,
            COALESCE(c.reused, false) AS reused,
            CASE WHEN d.state IN ('completed', 'rejected') THEN {day("d.completed_at")} END
                AS finished_day,
            d.state IN ('completed', 'rejected') AND d.completed_at <= d.due_at
                AND d.supplement_count <= 1 AS on_time,
            d.state = 'completed' AND p.issues_result AS needs_result,
            d.state = 'completed' AND p.issues_result AND d.result_file_id IS NOT NULL
                AS has_result,
            CASE WHEN d.due_at IS NOT NULL AND ({ended} IS NULL
                OR {day(ended)} > {day("d.due_at")}) THEN {day("d.due_at")} END AS overdue_from,
            CASE WHEN d.due_at IS NOT NULL AND {ended} IS NOT NULL
                AND {day(ended)} > {day("d.due_at")} THEN {day(ended)} END AS overdue_until,
            {day("r.rated_at")} AS rated_day,
            COALESCE(r.rating = 'not_satisfied' OR r.complaint, false) AS not_satisfied,
            {day("d.accepted_at")} AS accepted_day,
            {day("e.end_at")} AS ended_day,
            COALESCE(e.end_at <= d.due_at AND d.supplement_count <= 1, false) AS on_time_ended,
            d.channel = 'online' AND (NOT p.issues_result
                OR ({issued} AND d.result_file_id IS NOT NULL)) AS online_national,
            d.channel = 'direct' AS direct,
            d.channel = 'postal' AS postal,
            p.issues_result AS paper_result,
            p.issues_result AND {issued} AS result_issued,
            p.issues_result AND {issued} AND d.result_file_id IS NOT NULL AS e_result,
            COALESCE(c.any_digitized, false) AND {result_kept} AS digitized_any,
            NOT COALESCE(c.missing, false) AND {result_kept} AS digitized_all
        FROM procedures_dossier d
        JOIN ends e ON e.id = d.id
        JOIN procedures_procedure p ON p.id = d.procedure_id
        LEFT JOIN components c ON c.dossier_id = d.id
        LEFT JOIN digitization_satisfactionrating r ON r.dossier_id = d.id
    )
    SELECT unit_id, day, {sums}
    FROM ({" UNION ALL ".join(selects)}) AS families (unit_id, day, {names})
    GROUP BY unit_id, day
    """


def raw_aggregate() -> tuple[dict, float]:
    from django.conf import settings
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(raw_aggregate_sql(settings.TIME_ZONE))
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    return {(row[0], row[1]): tuple(int(v) for v in row[2:]) for row in rows}, seconds


def metrics_table() -> dict:
    from digitization.metrics import METRIC_COLUMNS
    from digitization.models import UnitDayMetrics

    return {
        (row[0], row[1]): tuple(row[2:])
        for row in UnitDayMetrics.objects.values_list("unit_id", "day", *METRIC_COLUMNS)
    }


def check_identical(label: str, raw: dict) -> None:
    table = metrics_table()
    if table != raw:
        differing = [key for key in set(table) | set(raw) if table.get(key) != raw.get(key)]
        raise SystemExit(f"{label}: the table differs from the raw query on {len(differing)} rows")
    print(f"  {label}: table identical to the raw query ({len(table):,} unit-days)")


def rate_some(share: float, seed: int) -> int:
    """Ratings for a share of the completed dossiers not rated yet (the generator makes none).

    Dossiers already rated are skipped by the unique constraint (ON CONFLICT), not by a NOT
    EXISTS on the table being filled, which PostgreSQL may plan as a scan per row.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO digitization_satisfactionrating (dossier_id, rating, complaint, comment, "
            "rated_at) SELECT d.id, (ARRAY['satisfied','satisfied','satisfied','neutral',"
            "'not_satisfied'])[1 + (d.id %% 5)], d.id %% 37 = 0, '', d.completed_at + "
            "interval '1 day' FROM procedures_dossier d WHERE d.state = 'completed' "
            "AND (d.id * %s) %% 100 < %s ON CONFLICT (dossier_id) DO NOTHING",
            [seed, int(share * 100)],
        )
        return cursor.rowcount


def one_days_work(count: int, now) -> int:
    """About a day's changes: `count` new dossiers received today and `count` open ones
    completed now (with their result where one is issued)."""
    from django.db import connection

    from devtools.bulk import generate_dossiers

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM procedures_dossier")
        (newest,) = cursor.fetchone()
    generate_dossiers(count=count, days=1, seed=random.randrange(10**6), with_history=False)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procedures_dossier SET updated_at = %s WHERE id > %s", [now, newest])
        cursor.execute(
            "UPDATE procedures_dossier d SET state = 'completed', completed_at = %s, "
            "updated_at = %s, result_file_id = COALESCE(d.result_file_id, "
            "(SELECT min(id) FROM digitization_digitizedfile)) "
            "WHERE d.id IN (SELECT id FROM procedures_dossier WHERE state = 'delivery' "
            "ORDER BY id DESC LIMIT %s)",
            [now, now, count],
        )
        return count + cursor.rowcount


def bench_rankings(requests: int) -> list[float]:
    from django.utils import timezone
    from rest_framework.test import APIClient

    from digitization.indicators import INDICATORS
    from procedures.models import Block, Role, Unit, User

    root = Unit.objects.filter(parent__isnull=True).order_by("id").first()
    leader, _ = User.objects.get_or_create(
        username="bench.metrics.leader", defaults={"role": Role.LEADER, "unit": root}
    )
    client = https(APIClient)()
    client.force_authenticate(user=leader)
    today = timezone.localdate()
    period = {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}
    combos = [(block, indicator) for block in Block.values for indicator in INDICATORS]
    for block, indicator in combos[:8]:  # warm-up
        client.get("/api/v1/metrics/rankings/", {**period, "block": block, "indicator": indicator})
    times = []
    for n in range(requests):
        block, indicator = combos[n % len(combos)]
        started = time.perf_counter()
        response = client.get(
            "/api/v1/metrics/rankings/", {**period, "block": block, "indicator": indicator}
        )
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
    return times


def day_update(per_day: int, check: bool = True) -> tuple[float, int, int]:
    """One day's incremental update, rolled back: `per_day` new dossiers and as many completed
    (one_days_work), then the timed refresh_metrics() and, after it, the accountability tables'
    own run (refresh_accountability). Returns (seconds, dossiers the refresh took, rows the bench
    wrote, (accountability seconds, its dossiers)). With `check`, the table is compared with the
    raw aggregate before the accountability run and the rollback."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from digitization.metrics import refresh_accountability, refresh_metrics
    from digitization.models import MetricsState

    # Changes made before this run (another benchmark moving dossiers, say) are absorbed first,
    # so the timed run sees exactly the day's work written below.
    refresh_metrics()
    refresh_accountability()
    with transaction.atomic():
        now = timezone.now() + timedelta(seconds=settings.METRICS_CHANGES_OVERLAP_SECONDS + 1)
        MetricsState.objects.filter(pk=1).update(changes_through=now - timedelta(seconds=1))
        changed = one_days_work(max(1, per_day), now)
        started = time.perf_counter()
        result = refresh_metrics(now=now + timedelta(seconds=1))
        seconds = time.perf_counter() - started
        if check:
            check_identical("after the day", raw_aggregate()[0])
        started = time.perf_counter()
        caught_up = refresh_accountability(now=now + timedelta(seconds=1))
        accountability = (time.perf_counter() - started, caught_up.dossiers)
        transaction.set_rollback(True)
    return seconds, result.dossiers, changed, accountability


def vacuum_metrics() -> None:
    """A rebuild replaces every row (DELETE + INSERT, so readers never wait): clean up the dead
    rows as autovacuum would soon after (it is off on this machine), to measure the steady
    state; the facts' visibility map lets the open dossiers be counted from their index alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "digitization_dossierfacts",
            "digitization_unitdaymetrics",
            "digitization_unitmonthmetrics",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def rankings_uncached(requests: int) -> list[float]:
    """bench_rankings with the readings computed every time (the figure the target judges)."""
    from django.test import override_settings

    with override_settings(METRICS_CACHE_SECONDS=0):
        return bench_rankings(requests)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=225)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)

    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    setup_django(MILLION_URL)
    ensure_dossiers(args.dossiers, units=args.units)

    from django.db import connection

    from digitization.metrics import recompute_metrics
    from procedures.models import Dossier, Procedure, Unit

    rated = rate_some(0.3, args.seed)
    dossiers = Dossier.objects.count()
    units = Unit.objects.filter(procedures__isnull=False).distinct().count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(received_at), max(received_at), count(*) FILTER (WHERE state = 'completed')"
            " FROM procedures_dossier"
        )
        first, last, completed = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM procedures_dossiercomponent")
        components = cursor.fetchone()[0]
    print(f"dossiers:          {dossiers:,} ({completed:,} completed, {components:,} components)")
    print(f"units:             {units} handling {Procedure.objects.count()} procedures")
    print(f"received:          {first:%Y-%m-%d} to {last:%Y-%m-%d}; new ratings: {rated:,}")

    print("full recomputation")
    started = time.perf_counter()
    result = recompute_metrics(wait_seconds=0)
    full_seconds = time.perf_counter() - started
    raw, raw_seconds = raw_aggregate()
    check_identical("full", raw)
    print(f"  recompute_metrics():   {full_seconds:7.2f} s  (target < {TARGET_FULL:.0f} s)")
    print(f"  one raw SQL query:     {raw_seconds:7.2f} s")
    print(f"  recompute / raw:       {full_seconds / raw_seconds:7.2f}")
    assert result.dossiers == dossiers

    vacuum_metrics()
    print("one day's incremental update")
    incremental_seconds, refreshed, changed, (accountability_seconds, caught_up) = day_update(
        dossiers // 365, check=True
    )
    print(
        f"  refresh_metrics():     {incremental_seconds:7.3f} s  (target < {TARGET_INCREMENTAL} s)"
        f"  {refreshed:,} dossiers changed in the day ({changed:,} written by the bench)"
    )
    print(
        f"  refresh_accountability(), its own run: {accountability_seconds:.3f} s for "
        f"{caught_up:,} dossiers (no target)"
    )

    print(f"rankings endpoint, in-process test client, {args.requests} requests, one year")
    times = rankings_uncached(args.requests)
    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    print(f"  computed every time:     p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms")
    warm = bench_rankings(args.requests)
    print(
        f"  with the reading cache:  p50 {percentile(warm, 0.5) * 1000:6.1f} ms   "
        f"p95 {percentile(warm, 0.95) * 1000:6.1f} ms  (METRICS_CACHE_SECONDS, this process's "
        "cache)"
    )
    print("  target p95 < 50 ms, judged without the cache")

    verdict = {
        "full recomputation < 60 s": full_seconds < TARGET_FULL,
        "incremental day < 1 s": incremental_seconds < TARGET_INCREMENTAL,
        "rankings p95 < 50 ms": p95 < TARGET_P95,
    }
    for name, ok in verdict.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
