"""The indicator arithmetic: exact, rounded half up, the score as its definition says."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from digitization.indicators import (
    SCORED,
    Counts,
    competition_ranks,
    indicator_values,
    rounded,
    score,
)

# Decision 766's points and thresholds by default (METRICS_SCORING).
THRESHOLDS = {
    "sync": 100,
    "on_time": 100,
    "online": 50,
    "payment_procedures": 80,
    "online_payment": 100,
    "e_result": 100,
    "digitization": 80,
    "reuse": 80,
    "satisfaction": 90,
}
WEIGHTS = {
    "sync": 6,
    "on_time": 20,
    "online": 4,
    "payment_procedures": 2,
    "online_payment": 6,
    "e_result": 6,
    "digitization": 4,
    "reuse": 2,
    "satisfaction": 6,
}


def reference_score(values):
    """The definition, in plain fractions."""
    earned = total = Fraction(0)
    for name in SCORED:
        if values[name] is None:
            continue
        earned += WEIGHTS[name] * min(Fraction(1), values[name] / THRESHOLDS[name])
        total += WEIGHTS[name]
    return None if not total else 100 * earned / total


rates = st.one_of(st.none(), st.fractions(min_value=0, max_value=100, max_denominator=5000))


@given(st.fixed_dictionaries(dict.fromkeys(SCORED, rates)))
def test_the_score_is_the_weighted_points_exactly(values):
    assert score(values) == reference_score(values)


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_rounding_is_half_up_to_two_decimals(part, whole):
    value = Fraction(part, whole)
    expected = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert rounded(value) == (Decimal(part) / Decimal(whole)).quantize(
        Decimal("0.01"), "ROUND_HALF_UP"
    )
    assert rounded(value * 100) == expected


def test_a_tie_rounds_up():
    assert rounded(Fraction(125, 1000)) == Decimal("0.13")
    assert rounded(Fraction(1, 3)) == Decimal("0.33")


def test_no_counts_no_values():
    assert set(indicator_values(Counts()).values()) == {None}


def test_satisfaction_never_goes_below_zero():
    values = indicator_values(Counts(accepted=2, accepted_on_time=0, disliked=3))
    assert values["satisfaction"] == 0


def test_counts_add_up():
    total = Counts(received=1, rated=2) + Counts(received=3, not_satisfied=1)
    assert total == Counts(received=4, rated=2, not_satisfied=1)


def test_competition_ranks_share_and_skip():
    values = [Decimal("90"), Decimal("80"), Decimal("80"), Decimal("70"), None]
    assert competition_ranks(values) == [1, 2, 2, 4, None]


def test_a_period_is_scored_with_the_points_in_force_on_its_first_day(settings):
    from datetime import date

    from digitization.indicators import points, scoring_in_force

    old = {"legal_basis": "QĐ 766", "effective_from": "2022-06-23", "indicators": {
        "on_time": {"points": 20, "threshold": 100, "confirmed": True},
        "online": {"points": 4, "threshold": 50, "confirmed": False},
    }}  # fmt: skip
    new = {"legal_basis": "Quy định mới", "effective_from": "2026-01-01", "indicators": {
        "on_time": {"points": 10, "threshold": 100, "confirmed": True},
        "online": {"points": 10, "threshold": 100, "confirmed": False},
    }}  # fmt: skip
    settings.METRICS_SCORING = [new, old]
    values = {"on_time": Fraction(50), "online": Fraction(25)}
    # before the change: (20 * 0.5 + 4 * 0.5) / 24; from it on: (10 * 0.5 + 10 * 0.25) / 20
    assert score(values, on=date(2025, 12, 1)) == Fraction(100 * 12, 24)
    assert score(values, on=date(2026, 1, 1)) == Fraction(100 * 15, 40)
    assert scoring_in_force(date(2025, 12, 31)).legal_basis == "QĐ 766"
    assert points("online", Fraction(25), on=date(2026, 3, 1)) == Fraction(5, 2)
