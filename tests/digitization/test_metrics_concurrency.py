"""Metrics runs against real PostgreSQL transactions: one run at a time, one snapshot each."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from digitization import metrics
from digitization.models import MetricsState, UnitDayMetrics
from procedures.models import Dossier
from tests.digitization.conftest import local, make_dossier

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_run_reads_one_snapshot(world):
    seen = []

    def work(state):
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            seen.append(cursor.fetchone()[0])
        return "done"

    assert metrics._run(work) == "done"
    assert seen == ["repeatable read"]


def test_a_refresh_while_another_run_holds_the_lock_does_nothing(world):
    make_dossier(world, received=local(2026, 3, 2, 9))
    MetricsState.objects.create(pk=1)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                MetricsState.objects.select_for_update().get(pk=1)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert metrics.refresh_metrics() is None
        assert not UnitDayMetrics.objects.exists()
    finally:
        release.set()
        holder.join(timeout=30)
    assert metrics.refresh_metrics().kind == "rebuild"
    assert UnitDayMetrics.objects.get().received == 1


def test_a_recomputation_waits_for_the_run_in_progress(world):
    make_dossier(world, received=local(2026, 3, 2, 9))
    metrics.refresh_metrics()
    Dossier.objects.update(updated_at=timezone.now())
    locked, results = threading.Event(), []

    def slow_run():
        try:

            def work(state):
                locked.set()
                threading.Event().wait(1.0)
                return "first"

            results.append(metrics._run(work))
        finally:
            connection.close()

    first = threading.Thread(target=slow_run)
    first.start()
    assert locked.wait(timeout=30)
    result = metrics.recompute_metrics(wait_seconds=30)
    first.join(timeout=30)
    assert results == ["first"]
    assert result is not None and result.kind == "rebuild"
