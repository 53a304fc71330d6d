"""The accountability reports, the late-dossier list and sampling on a large database (PostgreSQL).

    python bench/accountability.py [--dossiers 1000000] [--units 225] [--days 90] [--repeat 5]

Fills BENCH_DATABASE_URL (default motcua_bench_1m) with `generate_dossiers` (with the log)
until it holds `--dossiers`, then times, for the dossiers received in the last `--days` days:

- the staff report and the unit report (inspections.accountability) as an administrator, i.e.
  over every unit, and as an inspector of the unit with the most dossiers (its subtree);
- the first page (50 rows, by due date) of the late-dossier list, as the administrator;
- drawing a sample of 50 dossiers, 30 % from the overdue ones, from that unit's dossiers.

The reports are serialized as the API does. Each is run `--repeat` times; prints the best and
median milliseconds, the rows returned and the dossiers in scope. Nothing is written: the
inspector is an unsaved User, and the sample is drawn but not stored.
"""

import argparse
import statistics
import time
from datetime import timedelta

from _setup import MILLION_URL, ensure_dossiers, setup_django


def timed(repeat: int, job) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = job()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def report(label: str, times: list[float], rows: int, scope: int) -> None:
    print(
        f"{label:44} best {min(times):8.1f} ms   median {statistics.median(times):8.1f} ms   "
        f"{rows:6,} rows   {scope:10,} dossiers in scope"
    )


def reports(user, first_day, last_day, now, repeat: int) -> list:
    """The staff and the unit reports over `user`'s scope, serialized as the API does, each run
    `repeat` times: [(kind, milliseconds, rows, dossiers in scope)]."""
    from inspections import accountability, selectors
    from inspections.api.accountability import StaffFiguresSerializer, UnitFiguresSerializer

    scope = selectors.accountability_scope(user, unit=None, first_day=first_day, last_day=last_day)
    in_scope = scope.dossiers.count()

    def staff():
        rows = accountability.staff_report(scope=scope, now=now)
        return StaffFiguresSerializer(rows, many=True).data

    def units():
        rows = accountability.unit_report(scope=scope, now=now)
        return UnitFiguresSerializer(rows, many=True).data

    found = []
    for kind, job in (("staff", staff), ("unit", units)):
        times, rows = timed(repeat, job)
        found.append((kind, times, len(rows), in_scope))
    return found


def province_wide(days: int = 90, repeat: int = 5) -> list:
    """The province-wide scenario: both reports as an administrator (every unit) over the
    dossiers received in the last `days` days."""
    from django.utils import timezone

    from procedures.models import Role, User

    last_day = timezone.localdate()
    admin = User(username="bench-admin", role=Role.ADMIN, is_active=True, is_superuser=True)
    return reports(admin, last_day - timedelta(days=days), last_day, timezone.now(), repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=225, help="handling units to spread over")
    parser.add_argument("--days", type=int, default=90, help="period of receipt, up to today")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    setup_django(MILLION_URL)
    ensure_dossiers(args.dossiers, units=args.units)

    from django.db.models import Count
    from django.utils import timezone

    from inspections import accountability, sampling, selectors
    from inspections.api.accountability import LateDossierSerializer
    from procedures.models import Dossier, DossierTransition, Role, Unit, User

    last_day = timezone.localdate()
    first_day = last_day - timedelta(days=args.days)
    busiest = (
        Dossier.objects.values("unit_id").annotate(n=Count("id")).order_by("-n").first()["unit_id"]
    )
    unit = Unit.objects.get(pk=busiest)
    admin = User(username="bench-admin", role=Role.ADMIN, is_active=True, is_superuser=True)
    inspector = User(username="bench-inspector", role=Role.INSPECTOR, unit=unit, is_active=True)
    print(f"dossiers in database:        {Dossier.objects.count():,}")
    print(f"transition log entries:      {DossierTransition.objects.count():,}")
    print(f"units:                       {Unit.objects.count():,}")
    print(f"period:                      {first_day} to {last_day}; unit {unit.code}")

    now = timezone.now()
    for who, user in (("administrator", admin), ("inspector of one unit", inspector)):
        for kind, times, rows, scope in reports(user, first_day, last_day, now, args.repeat):
            report(f"{kind} report, {who}", times, rows, scope)

    dossiers = selectors.accountability_scope(
        admin, unit=None, first_day=first_day, last_day=last_day
    ).dossiers

    def late_page():
        page = accountability.late_dossiers(dossiers, now).order_by("due_at", "id")[:50]
        return LateDossierSerializer(list(page), many=True).data

    times, rows = timed(args.repeat, late_page)
    report("late dossiers, first page, administrator", times, len(rows), dossiers.count())

    def draw():
        ids, overdue = sampling.candidates(
            unit_id=unit.pk, first_day=first_day, last_day=last_day, now=now
        )
        return ids, sampling.draw(ids, overdue, size=50, seed=2025, overdue_share=0.3)

    times, (ids, drawn) = timed(args.repeat, draw)
    report("sample of 50 (30 % overdue), one unit", times, len(drawn), len(ids))


if __name__ == "__main__":
    main()
