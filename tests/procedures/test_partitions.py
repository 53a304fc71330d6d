"""The transition log partitioned by month on PostgreSQL: partitions made ahead, a dossier's
history and a period read only their partitions (pruning, seen in the plan), rows that went to
the DEFAULT partition moved when their month is made, old months detached for archiving."""

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from procedures import partitions
from procedures.models import DossierTransition
from procedures.selectors import dossier_history
from tests.dossiers import act, digitize_all, new_dossier
from tests.inspections.conftest import local

pytestmark = pytest.mark.django_db

LOG = DossierTransition._meta.db_table


def partition_of(entry) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {LOG} WHERE id = %s", [entry.pk])
        return cursor.fetchone()[0]


def scanned(queryset) -> set[str]:
    """The log partitions the plan of `queryset` reads."""
    plan = queryset.explain()
    return {
        word.strip('",()')
        for word in plan.split()
        if word.strip('",()').startswith(f"{LOG}_")
        and not word.strip('",()').endswith(("_idx", "_pkey"))
    }


def make_2025(first=1, last=6):
    for month in range(first, last + 1):
        partitions.create_partition(date(2025, month, 1))


def march_dossier(world):
    """A dossier received on 10 March 2025, forwarded in April 2025."""
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 10, 9, 0))
    digitize_all(world, dossier, at=local(2025, 3, 10, 10, 0))
    return act(world, dossier, "forward", at=local(2025, 4, 2, 9, 0))


def test_the_log_is_partitioned_only_on_postgresql():
    assert partitions.is_partitioned() == (connection.vendor == "postgresql")


def test_the_months_ahead_exist_from_the_migration_on(world):
    """On SQLite the jobs have nothing to do; on PostgreSQL the migration already made them."""
    assert partitions.create_partitions_ahead() == []
    assert partitions.detach_partitions(before=date(2000, 1, 1)) == []


def test_the_daily_job_is_scheduled():
    job = PeriodicTask.objects.get(task="procedures.tasks.create_log_partitions")
    assert job.enabled
    assert (job.interval.every, job.interval.period) == (24 * 60, "minutes")


@pytest.mark.postgres
def test_the_migration_made_a_default_partition_and_this_month_and_the_next_three(settings):
    months = {month for _name, month in partitions.partitions()}
    this_month = partitions.month_of(date.today())
    assert {
        partitions.add_months(this_month, n) for n in range(settings.LOG_PARTITIONS_AHEAD + 1)
    } <= months
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [partitions.DEFAULT_PARTITION])
        assert cursor.fetchone()[0] is not None
        cursor.execute(
            "SELECT array_agg(a.attname ORDER BY a.attname) FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = to_regclass(%s) AND i.indisprimary",
            [LOG],
        )
        assert cursor.fetchone()[0] == ["at", "id"]
        # the indexes of the plain table are kept: the log by dossier, and by actor (its foreign
        # key: deleting a user checks the log for their entries)
        cursor.execute(
            "SELECT array_agg(a.attname ORDER BY a.attname) FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary GROUP BY i.indexrelid",
            [LOG],
        )
        assert sorted(row[0] for row in cursor.fetchall()) == [
            ["actor_id"],
            ["at", "dossier_id", "id"],
        ]


@pytest.mark.postgres
def test_the_engine_writes_each_entry_into_its_months_partition(world):
    make_2025()
    dossier = march_dossier(world)
    entries = list(DossierTransition.objects.filter(dossier=dossier).order_by("at", "id"))
    assert [e.action for e in entries] == ["create", "forward"]
    assert [partition_of(e) for e in entries] == [f"{LOG}_y2025m03", f"{LOG}_y2025m04"]
    assert entries[0].pk < entries[1].pk


@pytest.mark.postgres
def test_a_dossiers_history_reads_only_the_partitions_from_its_receipt_on(world):
    make_2025()
    dossier = march_dossier(world)
    assert [e.action for e in dossier_history(dossier)] == ["create", "forward"]
    read = scanned(dossier_history(dossier))
    assert f"{LOG}_y2025m03" in read and f"{LOG}_y2025m04" in read
    assert not read & {f"{LOG}_y2025m01", f"{LOG}_y2025m02"}


@pytest.mark.postgres
def test_a_periods_log_reads_only_that_months_partition(world):
    make_2025()
    march_dossier(world)
    march = DossierTransition.objects.filter(
        at__gte=local(2025, 3, 1), at__lt=local(2025, 4, 1)
    ).order_by("at")
    assert [e.action for e in march] == ["create"]
    assert scanned(march) == {f"{LOG}_y2025m03"}


@pytest.mark.postgres
def test_rows_in_the_default_partition_move_into_their_month_when_it_is_made(world):
    dossier = new_dossier(world, channel="direct", at=local(2024, 5, 6, 9, 0))
    entry = DossierTransition.objects.get(dossier=dossier)
    assert partition_of(entry) == partitions.DEFAULT_PARTITION
    assert partitions.create_partition(date(2024, 5, 1)) is True
    assert partitions.create_partition(date(2024, 5, 1)) is False
    assert partition_of(entry) == f"{LOG}_y2024m05"
    assert list(dossier_history(dossier)) == [entry]


@pytest.mark.postgres
def test_the_daily_job_makes_the_months_held_in_the_default_partition(world):
    """Entries written before their month was made (a backfill, the benchmark generator)."""
    dossier = new_dossier(world, channel="direct", at=local(2024, 2, 6, 9, 0))
    entry = DossierTransition.objects.get(dossier=dossier)
    assert partition_of(entry) == partitions.DEFAULT_PARTITION
    call_command("create_log_partitions")
    assert partition_of(entry) == f"{LOG}_y2024m02"
    months = {month for _name, month in partitions.partitions()}
    assert {date(2024, 2, 1), date(2024, 3, 1), partitions.month_of(date.today())} <= months


@pytest.mark.postgres
def test_partitions_ahead_are_made_once():
    made = partitions.create_partitions_ahead(today=date(2031, 11, 15), ahead=2)
    assert made == [f"{LOG}_y2031m11", f"{LOG}_y2031m12", f"{LOG}_y2032m01"]
    assert partitions.create_partitions_ahead(today=date(2031, 11, 15), ahead=2) == []


@pytest.mark.postgres
def test_old_months_are_detached_for_archiving(world):
    make_2025(1, 4)
    january = new_dossier(world, channel="direct", at=local(2025, 1, 6, 9, 0))
    march = new_dossier(world, channel="direct", at=local(2025, 3, 6, 9, 0))
    call_command("detach_log_partitions", "--before", "2025-03")
    assert not DossierTransition.objects.filter(dossier=january).exists()
    assert DossierTransition.objects.filter(dossier=march).count() == 1
    months = {month for _name, month in partitions.partitions()}
    assert date(2025, 1, 1) not in months and date(2025, 3, 1) in months
    with connection.cursor() as cursor:  # kept as a table of its own, to archive
        cursor.execute(f"SELECT COUNT(*) FROM {LOG}_y2025m01 WHERE dossier_id = %s", [january.pk])
        assert cursor.fetchone()[0] == 1


@pytest.mark.postgres
def test_the_detach_command_wants_a_month():
    for bad in ("2025-13", "2025-3", "March"):
        with pytest.raises(CommandError):
            call_command("detach_log_partitions", "--before", bad)


def test_month_arithmetic():
    assert partitions.next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert partitions.add_months(date(2025, 11, 1), 3) == date(2026, 2, 1)
    assert partitions.month_of(date(2025, 2, 28) + timedelta(days=1)) == date(2025, 3, 1)
