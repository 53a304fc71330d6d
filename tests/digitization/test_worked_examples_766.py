"""Every worked example of the Decision 766 reference (docs: indicators-766.md), with March 2025 as
the period: the dossiers played through the services on the stated days, the rate as the
example gives it, to the hundredth, and under each reading where the reference gives two."""

from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine

from digitization.indicators import indicator_values, points, rounded
from digitization.metrics import recompute_metrics, refresh_metrics
from digitization.selectors import processing_time
from tests.digitization.builders_766 import (
    MARCH,
    accepted,
    at,
    in_appraisal,
    issue_result,
    march_values,
    procedure,
    rate,
    step,
    without_result_file,
)
from tests.dossiers import new_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cache(settings):
    settings.METRICS_CACHE_SECONDS = 0


def earned(row, name: str) -> Decimal:
    """The national points the exact value earns, to the hundredth."""
    value = indicator_values(row.counts, on=MARCH[0])[name]
    return rounded(points(name, value, on=MARCH[0]))


def share_of_max(row, name: str) -> Fraction:
    value = indicator_values(row.counts, on=MARCH[0])[name]
    maximum = points(name, Fraction(100), on=MARCH[0])
    return points(name, value, on=MARCH[0]) / maximum


# --- 2.1 on time ----------------------------------------------------------------------------


@pytest.fixture
def on_time_example(world):
    """A1-A8 of the reference."""
    four, five, nine = (procedure(world, days=n) for n in (4, 5, 9))
    a = {}
    a[1] = accepted(world, at(3), proc=four)
    assert a[1].due_at == at(7, hour=17)
    issue_result(world, a[1], at(6, hour=10), delivered=at(10))
    a[2] = accepted(world, at(4), proc=five)
    assert a[2].due_at == at(11, hour=17)
    issue_result(world, a[2], at(12, hour=15), delivered=at(12, hour=15))
    a[3] = accepted(world, at(5), proc=five)
    assert a[3].due_at == at(12, hour=17)
    a[3] = step(world, a[3], "request_supplement", at(7, hour=10))
    a[3] = step(world, a[3], "resume", at(14, hour=10))
    a[3] = issue_result(world, a[3], at(18, hour=16))
    a[4] = accepted(world, at(10), proc=five)
    assert a[4].due_at == at(17, hour=17)
    step(world, a[4], "request_supplement", at(13, hour=9))
    a[5] = accepted(world, at(10), proc=nine)
    assert a[5].due_at == at(21, hour=17)
    a[5] = step(world, a[5], "request_supplement", at(11))
    a[5] = step(world, a[5], "resume", at(12))
    step(world, a[5], "request_supplement", at(14))
    a[6] = accepted(world, at(24), proc=nine)
    assert a[6].due_at == at(4, month=4, hour=17)
    in_appraisal(world, a[6], at(24, hour=10))
    a[7] = accepted(world, at(17), proc=five)
    assert a[7].due_at == at(24, hour=17)
    in_appraisal(world, a[7], at(17, hour=10))
    a[8] = accepted(world, at(25, month=2), proc=five)
    assert a[8].due_at == at(4, hour=17)
    issue_result(world, a[8], at(6, hour=10))
    return a


def test_on_time_reading_a_counts_the_dossiers_accepted_in_the_period(world, on_time_example):
    row = march_values(world)
    assert (row.counts.accepted, row.counts.accepted_on_time) == (7, 4)
    assert row.values["on_time"] == Decimal("57.14")
    assert earned(row, "on_time") == Decimal("11.43")


def test_on_time_reading_b_adds_earlier_dossiers_still_processed(world, on_time_example, settings):
    settings.METRICS_ON_TIME_DOSSIERS = "processed"
    row = march_values(world)
    assert (row.counts.carried, row.counts.carried_on_time) == (1, 0)
    assert row.values["on_time"] == Decimal("50.00")
    assert earned(row, "on_time") == Decimal("10.00")


def test_a3_keeps_its_remaining_days_after_the_supplement(on_time_example):
    # paused on 7/3 with 3 working days left (10, 11, 12/3), counted again from 14/3
    assert on_time_example[3].due_at == at(19, hour=17)


def test_a3_is_on_time_under_the_restart_rule_too(world, settings):
    settings.SUPPLEMENT_RULES = [
        {"legal_basis": "Nghị định 61/2018/NĐ-CP", "effective_from": "2018-06-21",
         "rule": "keep_remaining"},
        {"legal_basis": "Quy định thử", "effective_from": "2025-03-01", "rule": "restart"},
    ]  # fmt: skip
    five = procedure(world, days=5)
    a3 = accepted(world, at(5), proc=five)
    a3 = step(world, a3, "request_supplement", at(7, hour=10))
    a3 = step(world, a3, "resume", at(14, hour=10))
    assert a3.due_at == at(21, hour=17)  # the whole 5 working days again from 14/3
    issue_result(world, a3, at(18, hour=16))
    row = march_values(world)
    assert row.values["on_time"] == Decimal("100.00")


def test_a_supplement_rule_applies_only_to_dossiers_accepted_from_its_date(world, settings):
    settings.SUPPLEMENT_RULES = [
        {"legal_basis": "Nghị định 61/2018/NĐ-CP", "effective_from": "2018-06-21",
         "rule": "keep_remaining"},
        {"legal_basis": "Quy định thử", "effective_from": "2025-03-06", "rule": "restart"},
    ]  # fmt: skip
    five = procedure(world, days=5)
    before = accepted(world, at(5), proc=five)
    before = step(world, before, "request_supplement", at(7, hour=10))
    before = step(world, before, "resume", at(14, hour=10))
    assert before.due_at == at(19, hour=17)  # accepted on 5/3: the remaining 3 days
    after = accepted(world, at(6), proc=five)
    after = step(world, after, "request_supplement", at(7, hour=10))
    after = step(world, after, "resume", at(14, hour=10))
    assert after.due_at == at(21, hour=17)


def test_withdrawal_counts_as_an_end_and_refusal_at_intake_never_counts(world):
    five = procedure(world, days=5)
    withdrawn = accepted(world, at(18), proc=five)
    assert withdrawn.due_at == at(25, hour=17)
    step(world, withdrawn, "withdraw", at(20))
    with time_machine.travel(at(19), tick=False):
        refused = new_dossier(world, channel="online", at=at(19), procedure=five)
    step(world, refused, "refuse", at(19, hour=10))
    row = march_values(world)
    assert (row.counts.accepted, row.counts.accepted_on_time) == (1, 1)
    assert row.values["on_time"] == Decimal("100.00")


def test_an_open_dossier_is_judged_at_the_period_end_or_today(world, settings):
    five = procedure(world, days=5)
    open_one = accepted(world, at(17), proc=five)  # due 24/3
    in_appraisal(world, open_one, at(17, hour=10))
    on_the_20th = at(20, hour=18)
    assert march_values(world, now=on_the_20th).values["on_time"] == Decimal("0.00")
    settings.METRICS_OPEN_JUDGED_AT = "today"
    assert march_values(world, now=on_the_20th).values["on_time"] == Decimal("100.00")
    # the running period judged today; March judged after its end is late either way
    assert march_values(world).values["on_time"] == Decimal("0.00")


# --- 2.2 average processing time ------------------------------------------------------------


def test_processing_time_averages_the_completed_dossiers_accepted_in_the_period(world):
    proc = procedure(world, days=10)
    b1 = accepted(world, at(3), proc=proc)
    issue_result(world, b1, at(6))  # 3 WD
    b2 = accepted(world, at(4), proc=proc)
    issue_result(world, b2, at(11), delivered=at(11, hour=10))  # 5 WD
    b3 = accepted(world, at(5), proc=proc)
    b3 = step(world, b3, "request_supplement", at(7))
    b3 = step(world, b3, "resume", at(14))
    issue_result(world, b3, at(18))  # 9 - 5 WD
    b4 = accepted(world, at(24), proc=proc)
    b5 = accepted(world, at(10), proc=proc)
    step(world, b5, "reject", at(12))
    accepted(world, at(17), proc=proc)  # B6, open
    b7 = accepted(world, at(27, month=2), proc=proc)
    issue_result(world, b7, at(5))

    with time_machine.travel(at(31, hour=18), tick=False):
        recompute_metrics()
        (row,) = processing_time(world.admin, procedure=proc, start=MARCH[0], end=MARCH[1])
    assert (row.completed, row.working_days, row.average) == (3, 12, Decimal("4.00"))

    issue_result(world, b4, at(2, month=4))  # 7 WD, started in March
    with time_machine.travel(at(5, month=4), tick=False):
        assert refresh_metrics().kind == "incremental"
        (row,) = processing_time(world.admin, procedure=proc, start=MARCH[0], end=MARCH[1])
    assert (row.completed, row.working_days, row.average) == (4, 19, Decimal("4.75"))


# --- 3.3 online -----------------------------------------------------------------------------


@pytest.fixture
def channels_example(world):
    paper, no_paper = procedure(world), procedure(world, issues_result=False)
    c1 = accepted(world, at(3), proc=paper, channel="online")
    issue_result(world, c1, at(7))  # result code and file
    c2 = accepted(world, at(5), proc=paper, channel="online")
    in_appraisal(world, c2, at(5, hour=10))  # no e-result: in none of the shares
    accepted(world, at(20), proc=no_paper, channel="online")  # C3
    accepted(world, at(10), proc=paper)  # C4, at the counter
    accepted(world, at(11), proc=paper)  # C5 (no channel given: counted at the counter)
    accepted(world, at(12), proc=paper, channel="postal")  # C6
    accepted(world, at(27, month=2), proc=paper, channel="online")  # C7, outside
    with time_machine.travel(at(28), tick=False):
        new_dossier(world, channel="online", at=at(28), procedure=paper)  # C8, not accepted


def test_online_rate_counts_online_dossiers_with_their_e_result(world, channels_example):
    row = march_values(world)
    assert row.counts.accepted == 6
    assert row.values["online"] == Decimal("33.33")
    assert round(share_of_max(row, "online"), 4) == Fraction(6667, 10000)
    assert rounded(Fraction(100 * row.counts.accepted_direct, 6)) == Decimal("33.33")
    assert rounded(Fraction(100 * row.counts.accepted_postal, 6)) == Decimal("16.67")


def test_online_rate_is_multiplied_by_the_sync_rate(world, channels_example, settings):
    settings.METRICS_SYNC_RATE = "90"
    row = march_values(world)
    assert row.values["online"] == Decimal("30.00")
    assert share_of_max(row, "online") == Fraction(6, 10)


# --- 4.1 e-result ---------------------------------------------------------------------------


@pytest.fixture
def e_result_example(world):
    paper, no_paper = procedure(world), procedure(world, issues_result=False)
    g1 = accepted(world, at(3), proc=paper)
    issue_result(world, g1, at(6), delivered=at(7))
    g2 = accepted(world, at(4), proc=paper)
    without_result_file(issue_result(world, g2, at(7)))
    g3 = accepted(world, at(10), proc=paper)
    in_appraisal(world, g3, at(10, hour=10))
    g4 = accepted(world, at(5), proc=no_paper)
    issue_result(world, g4, at(7))
    g5 = accepted(world, at(12), proc=paper)
    issue_result(world, g5, at(14))
    g6 = accepted(world, at(25, month=2), proc=paper)
    issue_result(world, g6, at(3))


def test_e_result_rate_over_every_dossier_of_paper_result_procedures(world, e_result_example):
    row = march_values(world)
    assert row.values["e_result"] == Decimal("50.00")
    assert earned(row, "e_result") == Decimal("3.00")


def test_e_result_rate_over_completed_dossiers_only(world, e_result_example, settings):
    settings.METRICS_E_RESULT_DENOMINATOR = "completed"
    row = march_values(world)
    assert row.values["e_result"] == Decimal("66.67")
    assert earned(row, "e_result") == Decimal("4.00")


# --- 4.2 digitization -----------------------------------------------------------------------


@pytest.fixture
def digitization_example(world):
    paper, no_paper = procedure(world), procedure(world, issues_result=False)
    one_required = procedure(
        world, components=[("Tờ khai", True), ("Bản sao", False), ("Ảnh", False)]
    )
    h1 = accepted(world, at(3), proc=paper)
    issue_result(world, h1, at(6))
    h2 = accepted(world, at(4), proc=paper)
    without_result_file(issue_result(world, h2, at(7)))
    h3 = accepted(world, at(5), proc=no_paper)
    step(world, h3, "scan", at(5, hour=10))
    accepted(world, at(6), proc=paper)  # H4, nothing filed
    h5 = accepted(world, at(7), proc=paper)
    step(world, h5, "scan", at(7, hour=10))
    h6 = accepted(world, at(10), proc=one_required)
    issue_result(world, h6, at(12))  # 1 of 3 components filed


def test_digitization_rate_needs_a_component_file_and_the_result_file(world, digitization_example):
    row = march_values(world)
    assert row.values["digitization"] == Decimal("50.00")
    assert earned(row, "digitization") == Decimal("2.50")  # full marks at 80 %


def test_digitization_points_when_linear(world, digitization_example, settings):
    linear = [dict(entry) for entry in settings.METRICS_SCORING]
    linear[0]["indicators"] = {
        **linear[0]["indicators"],
        "digitization": {"points": 4, "threshold": 100, "confirmed": False},
    }
    settings.METRICS_SCORING = linear
    row = march_values(world)
    assert earned(row, "digitization") == Decimal("2.00")


# --- 4.3 reuse ------------------------------------------------------------------------------


def test_reuse_rate_counts_accepted_dossiers_with_a_reused_component(world):
    proc = procedure(world)
    k1 = accepted(world, at(3), proc=proc)
    step(world, k1, "reuse", at(3, hour=10))
    k2 = accepted(world, at(6), proc=proc)
    step(world, k2, "scan", at(6, hour=10))
    with time_machine.travel(at(11), tick=False):
        k3 = new_dossier(world, channel="online", at=at(11), procedure=proc)
    k3 = step(world, k3, "reuse", at(11))
    step(world, k3, "accept", at(11, hour=10))
    with time_machine.travel(at(12), tick=False):
        k4 = new_dossier(world, channel="online", at=at(12), procedure=proc)
    step(world, k4, "reuse", at(12))  # never accepted
    k5 = accepted(world, at(28, month=2), proc=proc)
    step(world, k5, "reuse", at(28, month=2, hour=10))
    accepted(world, at(31, hour=16), proc=proc)  # K6
    row = march_values(world)
    assert row.counts.accepted == 4
    assert row.values["reuse"] == Decimal("50.00")
    assert earned(row, "reuse") == Decimal("1.25")


# --- 5.4 satisfaction -----------------------------------------------------------------------


@pytest.fixture
def satisfaction_example(world):
    five = procedure(world, days=5)
    m1 = accepted(world, at(3), proc=five)  # due 10/3
    issue_result(world, m1, at(12), delivered=at(12, hour=10))
    m2 = accepted(world, at(4), proc=five)
    m2 = issue_result(world, m2, at(6), delivered=at(6, hour=10))
    rate(m2, "not_satisfied", at(7))
    m3 = accepted(world, at(5), proc=five)  # due 12/3
    m3 = issue_result(world, m3, at(14), delivered=at(14, hour=10))
    rate(m3, "not_satisfied", at(15))
    m4 = accepted(world, at(6), proc=five)
    m4 = issue_result(world, m4, at(10), delivered=at(10, hour=10))
    rate(m4, "neutral", at(11), complaint=True)
    for day in (17, 18, 19, 20):  # M5-M8
        fine = accepted(world, at(day), proc=five)
        fine = issue_result(world, fine, at(day, hour=15), delivered=at(day, hour=16))
        rate(fine, "satisfied", at(day, hour=17))


def test_satisfaction_subtracts_the_two_rates(world, satisfaction_example):
    row = march_values(world)
    assert row.counts.accepted == 8
    assert row.values["satisfaction"] == Decimal("37.50")
    assert earned(row, "satisfaction") == Decimal("2.50")


def test_satisfaction_over_distinct_dossiers(world, satisfaction_example, settings):
    settings.METRICS_SATISFACTION_COUNTING = "distinct_dossiers"
    row = march_values(world)
    assert row.values["satisfaction"] == Decimal("50.00")
    assert earned(row, "satisfaction") == Decimal("3.33")


# --- 1.4, 3.5, 3.6 --------------------------------------------------------------------------


def test_sync_and_payment_indicators_are_null_until_the_province_has_the_data(world):
    accepted(world, at(3), proc=procedure(world))
    values = march_values(world).values
    assert values["sync"] is None
    assert values["payment_procedures"] is None
    assert values["online_payment"] is None
