"""Sampling draws only the inspected unit's dossiers of the period, reproducibly for a seed."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspections import sampling, services
from inspections.errors import NotInProgress, SampleAlreadyChecked
from inspections.models import InspectionLog
from procedures import services as dossier_services
from procedures.errors import ActionForbidden, InvalidInput
from tests.dossiers import new_dossier
from tests.factories import UnitFactory, UserFactory
from tests.inspections.conftest import check_everything, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world):
    """world.unit: 12 dossiers in Q1 2025 (the period), one on each edge outside it; plus
    dossiers of the other unit and of a unit below world.unit in the period."""
    inside = [
        new_dossier(world, channel="direct", at=local(2025, 1, 6, 8, 0) + timedelta(days=7 * i))
        for i in range(11)
    ]
    inside.append(new_dossier(world, channel="direct", at=local(2025, 3, 31, 23, 30)))
    before = new_dossier(world, channel="direct", at=local(2024, 12, 31, 23, 59))
    after = new_dossier(world, channel="direct", at=local(2025, 4, 1, 0, 10))
    other = new_dossier(
        world,
        channel="direct",
        at=local(2025, 2, 3, 9, 0),
        unit=world.other_unit,
        actor=world.other_clerk,
    )
    child = UnitFactory(parent=world.unit, block="commune")
    world.procedure.units.add(child)
    child_clerk = UserFactory(username="child-clerk", role="clerk", unit=child)
    below = new_dossier(
        world, channel="direct", at=local(2025, 2, 3, 9, 0), unit=child, actor=child_clerk
    )
    return {"inside": inside, "outside": [before, after, other, below]}


def codes(sampled):
    return [entry.dossier.code for entry in sampled]


def test_the_same_seed_draws_the_same_sample(world, started, records):
    first = services.draw_sample(inspection=started, actor=world.inspector, size=5, seed=2025)
    again = services.draw_sample(inspection=started, actor=world.inspector, size=5, seed=2025)
    assert len(first) == 5
    assert codes(again) == codes(first)
    assert [s.position for s in again] == [1, 2, 3, 4, 5]


def test_another_seed_draws_another_sample(world, started, records):
    first = services.draw_sample(inspection=started, actor=world.inspector, size=5, seed=1)
    other = services.draw_sample(inspection=started, actor=world.inspector, size=5, seed=2)
    assert codes(first) != codes(other)


def test_the_sample_holds_only_the_units_dossiers_received_in_the_period(world, started, records):
    sampled = services.draw_sample(inspection=started, actor=world.inspector, size=50, seed=7)
    assert sorted(codes(sampled)) == sorted(d.code for d in records["inside"])
    assert not set(codes(sampled)) & {d.code for d in records["outside"]}


def test_a_seed_is_chosen_and_kept_when_none_is_given(world, started, records):
    drawn = services.draw_sample(inspection=started, actor=world.inspector, size=4)
    started.refresh_from_db()
    assert started.sample_seed is not None
    assert (started.sample_size, started.sample_overdue_share) == (4, None)
    again = services.draw_sample(
        inspection=started, actor=world.inspector, size=4, seed=started.sample_seed
    )
    assert codes(again) == codes(drawn)


def test_the_overdue_share_is_drawn_from_the_overdue_dossiers_first(world, started, records):
    # The first three dossiers of the period are still in step 1 long after their due dates;
    # the others are moved out of the open steps (withdrawn before acceptance is not possible
    # for counter dossiers, so they are withdrawn on time).
    overdue = records["inside"][:3]
    for dossier in records["inside"][3:]:
        services_withdraw(world, dossier)
    sampled = services.draw_sample(
        inspection=started, actor=world.inspector, size=5, seed=3, overdue_share=0.4
    )
    assert [s.drawn_as_overdue for s in sampled] == [True, True, False, False, False]
    assert {s.dossier_id for s in sampled[:2]} <= {d.pk for d in overdue}


def services_withdraw(world, dossier):
    dossier_services.withdraw_dossier(
        dossier=dossier,
        actor=world.clerk,
        reason="Công dân rút",
        at=dossier.received_at + timedelta(hours=1),
    )


def test_an_overdue_share_larger_than_the_overdue_dossiers_takes_them_all(world, started, records):
    for dossier in records["inside"][1:]:
        services_withdraw(world, dossier)
    sampled = services.draw_sample(
        inspection=started, actor=world.inspector, size=4, seed=3, overdue_share=1
    )
    assert [s.drawn_as_overdue for s in sampled] == [True, False, False, False]
    assert sampled[0].dossier_id == records["inside"][0].pk


def test_sampling_is_logged_with_its_parameters(world, started, records):
    services.draw_sample(inspection=started, actor=world.inspector, size=3, seed=11)
    entry = InspectionLog.objects.filter(inspection=started, action="sample").get()
    assert entry.payload["seed"] == 11
    assert entry.payload["candidates"] == 12
    assert len(entry.payload["drawn"]) == 3


def test_a_sample_may_be_drawn_while_planned_but_not_after_conclusion(world, plan, records):
    inspection = plan()
    assert len(services.draw_sample(inspection=inspection, actor=world.inspector, size=2)) == 2
    services.start_inspection(inspection=inspection, actor=world.inspector)
    check_everything(inspection, world.inspector)
    services.conclude_inspection(inspection=inspection, actor=world.inspector, conclusion="Xong")
    with pytest.raises(NotInProgress):
        services.draw_sample(inspection=inspection, actor=world.inspector, size=2)


def test_redrawing_is_refused_once_an_item_was_checked(world, started, records):
    sampled = services.draw_sample(inspection=started, actor=world.inspector, size=2, seed=1)
    services.check_items(
        sampled=sampled[0],
        actor=world.inspector,
        answers=[{"item": "receipt_issued", "value": True}],
    )
    with pytest.raises(SampleAlreadyChecked):
        services.draw_sample(inspection=started, actor=world.inspector, size=2, seed=2)
    assert started.sample.count() == 2


def test_only_the_team_draws_the_sample(world, started, records, second_inspector):
    for outsider in (second_inspector, world.leader, world.clerk):
        with pytest.raises(ActionForbidden):
            services.draw_sample(inspection=started, actor=outsider, size=2)


@pytest.mark.parametrize(
    "arguments",
    [{"size": 0}, {"size": 1001}, {"size": 2, "seed": -1}, {"size": 2, "overdue_share": 1.5}],
)
def test_sample_parameters_out_of_range_are_refused(world, started, arguments):
    with pytest.raises(InvalidInput):
        services.draw_sample(inspection=started, actor=world.inspector, **arguments)


def test_period_days_are_counted_in_the_office_time_zone():
    start, end = sampling.period_bounds(date(2025, 1, 1), date(2025, 1, 1))
    assert (start, end) == (local(2025, 1, 1, 0, 0), local(2025, 1, 2, 0, 0))


@given(
    ids=st.sets(st.integers(min_value=1, max_value=10_000), max_size=60),
    overdue_fraction=st.floats(min_value=0, max_value=1),
    size=st.integers(min_value=1, max_value=80),
    seed=st.integers(min_value=0, max_value=2**63 - 1),
    share=st.floats(min_value=0, max_value=1),
)
def test_a_draw_is_a_reproducible_subset_of_the_right_size(
    ids, overdue_fraction, size, seed, share
):
    ordered = sorted(ids)
    overdue = set(ordered[: int(len(ordered) * overdue_fraction)])
    drawn = sampling.draw(list(ids), overdue, size=size, seed=seed, overdue_share=share)
    assert drawn == sampling.draw(ordered[::-1], overdue, size=size, seed=seed, overdue_share=share)
    picked = [pk for pk, _late in drawn]
    assert len(picked) == len(set(picked)) == min(size, len(ids))
    assert set(picked) <= ids
    assert all(pk in overdue for pk, late in drawn if late)
