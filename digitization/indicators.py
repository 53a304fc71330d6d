"""The national indicators and the score, computed from the counts of a period.

Pure arithmetic on `Counts`, exact (fractions) until the end, then rounded half up to two decimals.
Every rate is a percentage from 0 to 100, or None when its denominator is empty:

- on-time rate      = finished on time / finished
- online rate       = received online / received
- e-result rate     = finished with a digitized result / finished needing a result
- digitization rate = fully digitized / received
- reuse rate        = with a reused component / received
- satisfaction      = 100 - (overdue rate + not-satisfied rate), at least 0, where both rates
                      share the denominator "finished + overdue open at the period's end":
                      overdue = finished late + overdue open, not satisfied = ratings given in
                      the period that are "not satisfied" or carry a complaint.

The score (0-100) weighs each indicator's points: min(1, rate / full-marks threshold). Indicators
without a value (None) are left out and the remaining weights rescaled; no value at all gives
None. Thresholds and weights are settings (METRICS_THRESHOLDS, METRICS_WEIGHTS).
"""

from dataclasses import dataclass, fields
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Every indicator, the score first; a higher value is always better.
INDICATORS = {
    "score": _("Score (0-100)"),
    "on_time": _("On-time rate"),
    "online": _("Online rate"),
    "e_result": _("E-result rate"),
    "digitization": _("Digitization rate"),
    "reuse": _("Reuse rate"),
    "satisfaction": _("Satisfaction"),
}
SCORED = ("on_time", "online", "e_result", "digitization", "reuse", "satisfaction")
HUNDRED = Fraction(100)
ONE = Fraction(1)


@dataclass(frozen=True)
class Counts:
    """What happened in a period (or at its end, for `overdue_open`)."""

    received: int = 0
    received_online: int = 0
    digitized: int = 0
    reused: int = 0
    finished: int = 0
    finished_on_time: int = 0
    finished_needing_result: int = 0
    finished_with_result: int = 0
    overdue_open: int = 0
    rated: int = 0
    not_satisfied: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_NAMES}


COUNT_NAMES = tuple(f.name for f in fields(Counts))


def percent(part: int, whole: int) -> Fraction | None:
    return None if not whole else Fraction(part * 100, whole)


def satisfaction(counts: Counts) -> Fraction | None:
    base = counts.finished + counts.overdue_open
    if not base:
        return None
    late = counts.finished - counts.finished_on_time
    against = late + counts.overdue_open + counts.not_satisfied
    return max(Fraction(0), HUNDRED - Fraction(against * 100, base))


def indicator_values(counts: Counts) -> dict[str, Fraction | None]:
    """Every indicator of `counts`, exact; the score included."""
    values = {
        "on_time": percent(counts.finished_on_time, counts.finished),
        "online": percent(counts.received_online, counts.received),
        "e_result": percent(counts.finished_with_result, counts.finished_needing_result),
        "digitization": percent(counts.digitized, counts.received),
        "reuse": percent(counts.reused, counts.received),
        "satisfaction": satisfaction(counts),
    }
    values["score"] = score(values)
    return values


@lru_cache(maxsize=8)
def _scoring(weights: tuple, thresholds: tuple) -> tuple[tuple[str, int, int, int, int], ...]:
    """(name, weight numerator, weight denominator, threshold numerator, its denominator)."""
    weight, threshold = dict(weights), dict(thresholds)
    found = []
    for name in SCORED:
        w, t = Fraction(weight[name]), Fraction(threshold[name])
        if w:
            found.append((name, w.numerator, w.denominator, t.numerator, t.denominator))
    return tuple(found)


def score(values: dict[str, Fraction | None]) -> Fraction | None:
    """Exact, in integers: Fraction arithmetic would cost more than the rest of a ranking."""
    scoring = _scoring(
        tuple(sorted(settings.METRICS_WEIGHTS.items())),
        tuple(sorted(settings.METRICS_THRESHOLDS.items())),
    )
    earned_n, earned_d, total_n, total_d = 0, 1, 0, 1
    for name, wn, wd, tn, td in scoring:
        value = values.get(name)
        if value is None:
            continue
        # points = min(1, value / threshold) = min(1, (vn * td) / (vd * tn))
        pn, pd = value.numerator * td, value.denominator * tn
        if pn >= pd:
            pn = pd = 1
        earned_n, earned_d = earned_n * wd * pd + wn * pn * earned_d, earned_d * wd * pd
        total_n, total_d = total_n * wd + wn * total_d, total_d * wd
    if not total_n:
        return None
    return Fraction(100 * earned_n * total_d, earned_d * total_n)


def rounded(value: Fraction | None) -> Decimal | None:
    """Two decimals, half up: what the API shows and what rankings compare."""
    if value is None:
        return None
    hundredths = (200 * value.numerator + value.denominator) // (2 * value.denominator)
    return Decimal(hundredths).scaleb(-2)


def rounded_indicators(counts: Counts) -> dict[str, Decimal | None]:
    return {name: rounded(value) for name, value in indicator_values(counts).items()}


def competition_ranks(values: list[Decimal | None]) -> list[int | None]:
    """Ranks for values sorted best first: equal values share a rank, the next rank skips
    (1, 2, 2, 4); no value, no rank."""
    ranks: list[int | None] = []
    for position, value in enumerate(values):
        if value is None:
            ranks.append(None)
        elif position and value == values[position - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(position + 1)
    return ranks
