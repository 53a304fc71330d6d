"""Properties of the Decision 766 counts over random dossiers: an incremental run gives what a full
recomputation gives, and 2.1 never counts more dossiers on time than it considers, matching a
plain Python reading of the definition for any period."""

from datetime import date, datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitization.metrics import recompute_metrics, refresh_metrics
from digitization.models import DossierFacts, SatisfactionRating
from digitization.selectors import counts_by_unit
from procedures.models import Dossier, DossierComponent
from tests.digitization.conftest import TZ, make_dossier, rate, result_file, whole_table

pytestmark = pytest.mark.django_db(transaction=False)

FIRST = date(2026, 3, 2)
STATES = (
    "submitted", "intake", "appraisal", "signing", "delivery", "completed", "supplement",
    "refused", "rejected", "withdrawn",
)  # fmt: skip
ENDED_AT = {"completed", "delivery", "rejected", "withdrawn", "refused"}
STATUSES = ("pending", "scanned", "reused")


def moment(day: int, hour: int) -> datetime:
    return datetime.combine(FIRST + timedelta(days=day), datetime.min.time(), tzinfo=TZ).replace(
        hour=hour
    )


dossiers = st.lists(
    st.fixed_dictionaries(
        {
            "received": st.integers(0, 40),
            "hour": st.sampled_from([8, 16, 23]),
            "state": st.sampled_from(STATES),
            "channel": st.sampled_from(["direct", "online", "postal"]),
            "due": st.integers(1, 15),
            "end": st.integers(0, 25),
            "supplements": st.integers(0, 3),
            "components": st.tuples(*[st.sampled_from(STATUSES)] * 3),
            "result": st.booleans(),
            "other_unit": st.booleans(),
            "rating": st.sampled_from([None, "satisfied", "not_satisfied"]),
        }
    ),
    min_size=1,
    max_size=8,
)


def build(world, spec) -> Dossier:
    dossier = make_dossier(
        world,
        received=moment(spec["received"], spec["hour"]),
        unit=world.other_unit if spec["other_unit"] else None,
    )
    return change(dossier, spec)


def change(dossier, spec) -> Dossier:
    """Give `dossier` the columns of `spec` (its unit stays), as a run of transitions would."""
    received = moment(spec["received"], spec["hour"])
    state = spec["state"]
    accepted = state not in ("submitted", "refused")
    end = received + timedelta(days=spec["end"], hours=1)
    issued = state in ("delivery", "completed")
    for component, status in zip(
        DossierComponent.objects.filter(dossier=dossier).order_by("position", "id"),
        spec["components"],
        strict=True,
    ):
        DossierComponent.objects.filter(pk=component.pk).update(status=status)
    Dossier.objects.filter(pk=dossier.pk).update(
        received_at=received,
        channel=spec["channel"],
        state=state,
        accepted_at=received if accepted else None,
        due_at=received + timedelta(days=spec["due"]) if accepted else None,
        completed_at=end if state in ENDED_AT and state != "delivery" else None,
        result_signed_at=end - timedelta(hours=1) if issued else None,
        paused_at=end if state == "supplement" else None,
        supplement_count=max(spec["supplements"], 1 if state == "supplement" else 0),
        result_file=result_file() if spec["result"] else None,
        updated_at=timezone.now(),
    )
    SatisfactionRating.objects.filter(dossier=dossier).delete()
    if state == "completed" and spec["rating"]:
        rate(dossier, spec["rating"], at=end + timedelta(hours=1))
    return Dossier.objects.get(pk=dossier.pk)


def facts() -> dict:
    return {row["dossier_id"]: row for row in DossierFacts.objects.values()}


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=dossiers, changes=dossiers, changed=st.lists(st.integers(0, 11), max_size=6))
def test_incremental_runs_equal_a_full_recomputation(world, django_settings, before, changes,
                                                       changed):  # fmt: skip
    django_settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    with transaction.atomic():
        built = [build(world, spec) for spec in before]
        refresh_metrics()
        # some dossiers move on (a new state, new days), others arrive
        for index, spec in zip(changed, changes, strict=False):
            if index < len(built):
                change(built[index], spec)
            else:
                build(world, spec)
        for spec in changes[len(changed) :]:
            build(world, spec)
        assert refresh_metrics().kind == "incremental"
        incremental, incremental_facts = whole_table(), facts()
        recompute_metrics()
        assert whole_table() == incremental
        assert facts() == incremental_facts
        transaction.set_rollback(True)


def reference_on_time(start: date, end: date) -> tuple[int, int, int, int]:
    """2.1 read straight from the dossiers: (accepted, on time, carried, carried on time)."""
    found = [0, 0, 0, 0]
    for d in Dossier.objects.exclude(accepted_at=None):
        accepted = timezone.localdate(d.accepted_at)
        if d.state == "supplement":
            ended = d.paused_at
        elif d.state in ("delivery", "completed"):
            ended = d.result_signed_at or d.completed_at
        elif d.state in ("rejected", "withdrawn"):
            ended = d.completed_at
        else:
            ended = None
        if ended is not None:
            on_time = ended <= d.due_at and d.supplement_count <= 1
        else:
            on_time = d.supplement_count <= 1 and timezone.localdate(d.due_at) > end
        if start <= accepted <= end:
            found[0] += 1
            found[1] += on_time
        elif accepted < start and (ended is None or timezone.localdate(ended) >= start):
            found[2] += 1
            found[3] += on_time
    return tuple(found)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=dossiers,
    first=st.integers(0, 60),
    length=st.integers(0, 45),
)
def test_on_time_never_exceeds_the_dossiers_considered(world, specs, first, length):
    with transaction.atomic():
        for spec in specs:
            build(world, spec)
        recompute_metrics()
        start = FIRST + timedelta(days=first - 10)
        end = start + timedelta(days=length)
        counts = list(counts_by_unit([world.unit.pk, world.other_unit.pk], start, end).values())
        totals = [
            sum(getattr(c, name) for c in counts)
            for name in ("accepted", "accepted_on_time", "carried", "carried_on_time")
        ]
        for each in counts:
            assert 0 <= each.accepted_on_time <= each.accepted
            assert 0 <= each.carried_on_time <= each.carried
        assert tuple(totals) == reference_on_time(start, end)
        transaction.set_rollback(True)


@pytest.fixture
def django_settings(settings):
    return settings


def test_a_period_is_covered_by_whole_months_less_days_or_by_days():
    from digitization.selectors import cover

    # a rolling year: its first month read whole, less the 1st
    assert cover(date(2025, 12, 2), date(2026, 12, 1)) == (
        [(date(2026, 1, 1), date(2026, 11, 1)), (date(2025, 12, 1), date(2025, 12, 1))],
        [(date(2026, 12, 1), date(2026, 12, 1))],
        [(date(2025, 12, 1), date(2025, 12, 1))],
    )
    # inside one month: more than half of it → the month less the days on either side
    assert cover(date(2026, 3, 3), date(2026, 3, 29)) == (
        [(date(2026, 3, 1), date(2026, 3, 1))],
        [],
        [(date(2026, 3, 1), date(2026, 3, 2)), (date(2026, 3, 30), date(2026, 3, 31))],
    )
    week = (date(2026, 3, 3), date(2026, 3, 9))
    assert cover(*week) == ([], [week], [])


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=dossiers, first=st.integers(-20, 60), length=st.integers(0, 80))
def test_the_period_sums_equal_the_days_of_the_period_summed(world, specs, first, length):
    """Whatever the mix of month rows, day rows and days taken away, a period's counts are its
    days' counts (and, for 2.1, the dossiers still open and within time, which no day row holds)."""
    from digitization.models import UnitDayMetrics
    from digitization.selectors import PERIOD_SUMS, open_on_time_by_unit

    with transaction.atomic():
        for spec in specs:
            build(world, spec)
        recompute_metrics()
        start = FIRST + timedelta(days=first)
        end = start + timedelta(days=length)
        units = [world.unit.pk, world.other_unit.pk]
        counts = counts_by_unit(units, start, end)
        still_open = open_on_time_by_unit(units, start, end)
        for unit in units:
            rows = UnitDayMetrics.objects.filter(unit_id=unit, day__gte=start, day__lte=end)
            for name, column in PERIOD_SUMS.items():
                expected = sum(getattr(row, column) for row in rows)
                if name == "accepted_on_time":
                    expected += still_open.get(unit, (0, 0))[0]
                found = getattr(counts[unit], name) if unit in counts else 0
                assert found == expected, (name, start, end)
        transaction.set_rollback(True)


def test_a_period_across_two_partial_months_is_cut_at_the_month():
    from digitization.selectors import cover

    # 20/03 to 10/04: March's 12 days by day, April's 10 by day (neither is more than half)
    assert cover(date(2026, 3, 20), date(2026, 4, 10)) == (
        [],
        [(date(2026, 3, 20), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 10))],
        [],
    )
    # 05/03 to 20/04: March less 1-4, April less 21-30
    assert cover(date(2026, 3, 5), date(2026, 4, 20)) == (
        [(date(2026, 3, 1), date(2026, 3, 1)), (date(2026, 4, 1), date(2026, 4, 1))],
        [],
        [(date(2026, 3, 1), date(2026, 3, 4)), (date(2026, 4, 21), date(2026, 4, 30))],
    )
