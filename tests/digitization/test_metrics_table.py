"""The per-unit, per-day metrics table: each count on its day, incremental = full recomputation."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from digitization.metrics import recompute_metrics, refresh_metrics
from digitization.models import DossierFacts, MetricsState, UnitDayMetrics, UnitMonthMetrics
from procedures.models import Dossier
from tests.digitization.conftest import (
    METRIC_FIELDS,
    NATIONAL_FIELDS,
    local,
    make_dossier,
    metrics_table,
    national,
    only,
    rate,
    row_ids,
    whole_table,
)
from tests.dossiers import act, dossier_in

pytestmark = pytest.mark.django_db

U, U2 = "000.20.31.H40", "000.21.31.H40"


# The table the definitions give, worked out by hand from the fixture:
EXPECTED = {
    # received on 2 March: a, b, d (c was refused; d came at 23:30 local, still the 2nd)
    (U, date(2026, 3, 2)): only(received=3, received_online=1, digitized=2, reused=1),
    # received on 3 March: e (00:30 local), f, g, h, i; digitized f, g, i (e lacks its result)
    (U, date(2026, 3, 3)): only(received=5, digitized=3, reused=1),
    # a finished on time with its result; i's stale due day before its pause
    (U, date(2026, 3, 5)): only(
        finished=1,
        finished_on_time=1,
        finished_needing_result=1,
        finished_with_result=1,
        overdue_started=1,
    ),
    # g rejected before its due date; a rated not satisfied
    (U, date(2026, 3, 6)): only(finished=1, finished_on_time=1, rated=1, not_satisfied=1),
    (U, date(2026, 3, 9)): only(overdue_ended=1),  # i paused
    # e completed at 18:00 on its due day: late, but never open overdue at a day's end
    (U, date(2026, 3, 10)): only(finished=1, finished_needing_result=1),
    # f: two supplement requests, so not on time
    (U, date(2026, 3, 12)): only(finished=1, finished_needing_result=1, finished_with_result=1),
    (U, date(2026, 3, 13)): only(rated=1),
    (U, date(2026, 3, 16)): only(overdue_started=1),  # b's due day
    # b finished a day late; d (still open) becomes overdue
    (U, date(2026, 3, 17)): only(
        finished=1,
        finished_needing_result=1,
        finished_with_result=1,
        overdue_started=1,
        overdue_ended=1,
    ),
    (U, date(2026, 3, 18)): only(rated=1),
    (U2, date(2026, 3, 2)): only(received=1, received_online=1),
}


# Decision 766's families of the same fixture: on the day of acceptance (c, j never accepted)
# and on the day processing ended (2.1: finished, stopped, withdrawn or waiting for a supplement).
EXPECTED_NATIONAL = {
    # a (online, e-result, reused, disliked, on time), b (late), d (open, no result file yet)
    (U, date(2026, 3, 2)): national(
        accepted=3, accepted_ended_on_time=1, accepted_online=1, accepted_direct=2,
        paper_result=3, paper_result_issued=2, e_result=2, digitized_any=2, digitized_all=2,
        accepted_reused=1, disliked=1,
    ),
    # e (late, no result file), f (two supplement requests: late), g, h (ended on time), i
    (U, date(2026, 3, 3)): national(
        accepted=5, accepted_ended_on_time=2, accepted_direct=5, paper_result=5,
        paper_result_issued=2, e_result=1, digitized_any=1, digitized_all=1, accepted_reused=1,
    ),
    (U, date(2026, 3, 4)): national(ended=1, ended_on_time=1),  # h withdrawn
    (U, date(2026, 3, 5)): national(ended=1, ended_on_time=1),  # a
    (U, date(2026, 3, 6)): national(ended=1, ended_on_time=1),  # g stopped
    (U, date(2026, 3, 9)): national(ended=1),  # i waits for a supplement asked after its due date
    (U, date(2026, 3, 10)): national(ended=1),  # e at 18:00, due 17:00
    (U, date(2026, 3, 12)): national(ended=1),  # f
    (U, date(2026, 3, 17)): national(ended=1),  # b
}  # fmt: skip


def months_match_days() -> bool:
    """The monthly table is the daily one summed per month."""
    summed: dict = {}
    for row in UnitDayMetrics.objects.all():
        key = (row.unit_id, row.day.replace(day=1))
        counts = summed.setdefault(key, dict.fromkeys(METRIC_FIELDS + NATIONAL_FIELDS, 0))
        assert row.month == row.day.replace(day=1)
        for name in METRIC_FIELDS + NATIONAL_FIELDS:
            counts[name] += getattr(row, name)
    stored = {
        (row.unit_id, row.month): {
            name: getattr(row, name) for name in METRIC_FIELDS + NATIONAL_FIELDS
        }
        for row in UnitMonthMetrics.objects.all()
    }
    return stored == summed


def test_full_recomputation_counts_each_dossier_on_its_local_days(march):
    result = recompute_metrics()
    assert result.kind == "rebuild"
    assert result.dossiers == 10
    assert metrics_table() == EXPECTED
    assert months_match_days()


def test_full_recomputation_counts_the_national_families_on_acceptance_and_end(march):
    recompute_metrics()
    assert metrics_table(NATIONAL_FIELDS) == EXPECTED_NATIONAL


def test_first_refresh_rebuilds_everything_and_sets_the_watermark(march):
    now = timezone.now()
    result = refresh_metrics(now=now)
    assert result.kind == "rebuild"
    assert metrics_table() == EXPECTED
    assert MetricsState.objects.get().changes_through == now


def test_incremental_refresh_equals_full_recomputation_after_changes(world, march, settings):
    settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    refresh_metrics()
    # d is completed late on 20 March with its result; i resumes, with a new due date
    Dossier.objects.filter(pk=march["d"].pk).update(
        state="completed",
        completed_at=local(2026, 3, 20, 9),
        updated_at=timezone.now(),
    )
    Dossier.objects.filter(pk=march["i"].pk).update(
        state="appraisal",
        paused_at=None,
        due_at=local(2026, 3, 25, 17),
        updated_at=timezone.now(),
    )
    rate(march["e"], "satisfied", complaint=True, at=local(2026, 3, 21, 8))
    make_dossier(world, received=local(2026, 3, 4, 9), channel="online", state="submitted")

    assert refresh_metrics().kind == "incremental"
    incremental, incremental_whole = metrics_table(), whole_table()
    assert months_match_days()
    recompute_metrics()
    assert incremental == metrics_table()
    assert incremental_whole == whole_table()
    assert incremental != EXPECTED
    # i no longer became overdue on 5 March nor stopped being on the 9th
    assert (U, date(2026, 3, 9)) not in incremental
    assert incremental[(U, date(2026, 3, 5))]["overdue_started"] == 0


def test_incremental_refresh_of_unchanged_dossiers_changes_nothing(march, settings):
    settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    refresh_metrics()
    before = row_ids()
    result = refresh_metrics()
    assert result.kind == "incremental"
    assert result.dossiers == 0
    assert row_ids() == before


@pytest.mark.postgres
def test_a_dossier_moved_without_a_change_to_its_facts_keeps_its_stored_facts_row(march, settings):
    """A transition in the middle of processing changes no fact: the run reads the dossier again
    but writes its facts row only when a fact differs (the row's version, xmin, tells)."""
    from django.db import connection

    def versions():
        with connection.cursor() as cursor:
            cursor.execute("SELECT dossier_id, xmin::text FROM digitization_dossierfacts")
            return dict(cursor.fetchall())

    settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    refresh_metrics()
    before = versions()
    Dossier.objects.update(updated_at=timezone.now())
    Dossier.objects.filter(pk=march["d"].pk).update(
        state="completed", completed_at=local(2026, 3, 20, 9)
    )

    assert refresh_metrics().dossiers == len(before) == 10
    after = versions()
    assert after.keys() == before.keys()
    assert [pk for pk in after if after[pk] != before[pk]] == [march["d"].pk]
    assert DossierFacts.objects.get(dossier=march["d"]).finished_day == date(2026, 3, 20)


def test_changing_an_old_dossier_moves_only_its_days(march, settings):
    settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    refresh_metrics()
    before_ids, before = row_ids(), metrics_table()
    # b's completion is corrected from 17 to 19 March
    Dossier.objects.filter(pk=march["b"].pk).update(
        completed_at=local(2026, 3, 19, 9), updated_at=timezone.now()
    )
    result = refresh_metrics()
    assert result.dossiers == 1
    after_ids, after = row_ids(), metrics_table()
    changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    assert changed == {(U, date(2026, 3, 17)), (U, date(2026, 3, 19))}
    assert after[(U, date(2026, 3, 17))] == only(overdue_started=1)  # d's; b is still overdue
    assert after[(U, date(2026, 3, 19))] == only(
        finished=1, finished_needing_result=1, finished_with_result=1, overdue_ended=1
    )
    # The rows move by the difference, in place: none is deleted and written again, and the
    # 19th, where nothing was counted, gets a row of its own.
    rewritten = {key[1] for key, pk in before_ids.items() if after_ids.get(key) != pk}
    assert rewritten == set()
    assert {day for _unit, day in set(after_ids) - set(before_ids)} == {date(2026, 3, 19)}


def test_moving_an_old_dossiers_reception_moves_it_between_days(march, settings):
    settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    refresh_metrics()
    before = metrics_table()
    # h (withdrawn, nothing digitized) was in fact received on 4 March, not the 3rd
    Dossier.objects.filter(pk=march["h"].pk).update(
        received_at=local(2026, 3, 4, 8), updated_at=timezone.now()
    )
    refresh_metrics()
    after = metrics_table()
    changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    assert changed == {(U, date(2026, 3, 3)), (U, date(2026, 3, 4))}
    assert after[(U, date(2026, 3, 3))] == only(received=4, digitized=3, reused=1)
    assert after[(U, date(2026, 3, 4))] == only(received=1)


def test_range_recomputation_repairs_the_range_and_the_days_its_dossiers_left(march):
    recompute_metrics()
    # an edit made in the database directly, without moving updated_at
    Dossier.objects.filter(pk=march["a"].pk).update(completed_at=local(2026, 3, 11, 9))
    UnitDayMetrics.objects.filter(day=date(2026, 3, 2)).update(received=99)
    result = recompute_metrics(start=date(2026, 3, 1), end=date(2026, 3, 11))
    assert result.kind == "range"
    table = metrics_table()
    assert table[(U, date(2026, 3, 2))] == EXPECTED[(U, date(2026, 3, 2))]
    assert table[(U, date(2026, 3, 5))] == only(overdue_started=1)
    assert table[(U, date(2026, 3, 11))] == only(
        finished=1, finished_on_time=1, finished_needing_result=1, finished_with_result=1
    )
    full_after_range = metrics_table()
    assert months_match_days()
    recompute_metrics()
    assert metrics_table() == full_after_range


def test_range_recomputation_follows_a_dossier_out_of_the_range(march):
    recompute_metrics()
    Dossier.objects.filter(pk=march["g"].pk).update(completed_at=local(2026, 4, 2, 9))
    recompute_metrics(start=date(2026, 3, 6), end=date(2026, 3, 6))
    table = metrics_table()
    assert table[(U, date(2026, 3, 6))] == only(rated=1, not_satisfied=1)
    assert months_match_days()  # April's row appeared
    # now finished after its due date (20 March): both days lie outside the range
    assert table[(U, date(2026, 3, 20))] == only(overdue_started=1)
    assert table[(U, date(2026, 4, 2))] == only(finished=1, overdue_ended=1)


def test_facts_of_a_dossier_played_through_the_services(world):
    start = timezone.now() - timedelta(hours=3)
    dossier = dossier_in(world, "completed", at=start)
    act_day = timezone.localdate(dossier.completed_at)
    recompute_metrics()
    facts = DossierFacts.objects.get(dossier=dossier)
    assert facts.received_day == timezone.localdate(dossier.received_at)
    assert (facts.online, facts.digitized, facts.reused) == (True, True, True)
    assert facts.finished_day == act_day
    assert (facts.on_time, facts.needs_result, facts.has_result) == (True, True, True)
    assert facts.overdue_from is None and facts.overdue_until is None


def test_a_transition_is_picked_up_by_the_next_refresh(world, settings):
    settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    dossier = dossier_in(world, "delivery", at=timezone.now() - timedelta(hours=2))
    refresh_metrics()
    today = timezone.localdate()
    assert UnitDayMetrics.objects.filter(finished__gt=0).count() == 0
    act(world, dossier, "deliver")
    assert refresh_metrics().dossiers == 1
    row = UnitDayMetrics.objects.get(unit=world.unit, day=today)
    assert (row.finished, row.finished_on_time, row.finished_with_result) == (1, 1, 1)
