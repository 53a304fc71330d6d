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
