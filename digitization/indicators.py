"""Decision 766's indicators and the score, computed from the counts of a period.

Pure arithmetic on `Counts`, exact (fractions) until the end, then rounded half up to two decimals.
Every rate is a percentage from 0 to 100, or None when its denominator is empty or the province
has no data for it. The definitions (numerator, denominator, which date puts a dossier in the
period) are in digitization.definitions, served by the API; the formulas follow the national
formula description restated in docs/indicators-766.md, with the reading of each point it marks
uncertain chosen by a METRICS_* setting.

The score (0-100) is the national points of the indicators that have a value, rescaled to 100:
each earns points x min(1, rate / threshold). The points, thresholds and whether each is
confirmed come from METRICS_SCORING, the set in force on the period's first day.
"""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Every rankable indicator, the score first; a higher value is always better.
INDICATORS = {
    "score": _("Score (0-100)"),
    "on_time": _("On-time rate"),
    "online": _("Online rate"),
    "e_result": _("E-result rate"),
    "digitization": _("Digitization rate"),
    "reuse": _("Reuse rate"),
    "satisfaction": _("Satisfaction"),
}
# Indicators the province cannot compute yet: always null, for this reason.
UNAVAILABLE = {
    "sync": _("Dossiers are not yet synced to the National Public Service Portal."),
    "payment_procedures": _("Online payment is not yet integrated."),
    "online_payment": _("Online payment is not yet integrated."),
}
SCORED = (
    "sync",
    "on_time",
    "online",
    "payment_procedures",
    "online_payment",
    "e_result",
    "digitization",
    "reuse",
    "satisfaction",
)
HUNDRED = Fraction(100)
ONE = Fraction(1)


@dataclass(frozen=True)
class Counts:
    """What happened in a period; see the API's field descriptions (COUNT_HELP)."""

    # Operational counts, by registration, finishing and rating day.
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
    # Decision 766: dossiers accepted in the period (ngày tiếp nhận).
    accepted: int = 0
    accepted_on_time: int = 0
    carried: int = 0
    carried_on_time: int = 0
    accepted_online: int = 0
    accepted_direct: int = 0
    accepted_postal: int = 0
    paper_result: int = 0
    paper_result_issued: int = 0
    e_result: int = 0
    digitized_any: int = 0
    digitized_all: int = 0
    accepted_reused: int = 0
    disliked: int = 0
    disliked_late: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_NAMES}


COUNT_NAMES = tuple(f.name for f in fields(Counts))


def percent(part: int, whole: int) -> Fraction | None:
    return None if not whole else Fraction(part * 100, whole)


def on_time(counts: Counts) -> Fraction | None:
    """2.1: on time or still within time / accepted (reading A), plus the dossiers accepted
    earlier and processed in the period (reading B)."""
    if settings.METRICS_ON_TIME_DOSSIERS == "processed":
        return percent(
            counts.accepted_on_time + counts.carried_on_time, counts.accepted + counts.carried
        )
    return percent(counts.accepted_on_time, counts.accepted)


def online(counts: Counts) -> Fraction | None:
    """3.3: online dossiers (with the e-result where a paper result is due) / accepted, times
    the sync rate (1.4), taken as METRICS_SYNC_RATE until sync exists."""
    share = percent(counts.accepted_online, counts.accepted)
    return None if share is None else share * Fraction(settings.METRICS_SYNC_RATE) / HUNDRED


def e_result(counts: Counts) -> Fraction | None:
    if settings.METRICS_E_RESULT_DENOMINATOR == "completed":
        return percent(counts.e_result, counts.paper_result_issued)
    return percent(counts.e_result, counts.paper_result)


def digitization(counts: Counts) -> Fraction | None:
    if settings.METRICS_DIGITIZATION_COMPONENTS == "all_required":
        return percent(counts.digitized_all, counts.accepted)
    return percent(counts.digitized_any, counts.accepted)


def satisfaction(counts: Counts) -> Fraction | None:
    """5.4: 100 - (overdue rate + disliked rate) over the dossiers accepted in the period, at
    least 0; "distinct_dossiers" counts a late and disliked dossier once."""
    if not counts.accepted:
        return None
    late = counts.accepted - counts.accepted_on_time
    against = late + counts.disliked
    if settings.METRICS_SATISFACTION_COUNTING == "distinct_dossiers":
        against -= counts.disliked_late
    return max(Fraction(0), HUNDRED - Fraction(against * 100, counts.accepted))


def indicator_values(counts: Counts, *, on: date | None = None) -> dict[str, Fraction | None]:
    """Every indicator of `counts`, exact; the score with the points in force on `on` (the
    period's first day; the newest set without it)."""
    values = {
        "on_time": on_time(counts),
        "online": online(counts),
        "e_result": e_result(counts),
        "digitization": digitization(counts),
        "reuse": percent(counts.accepted_reused, counts.accepted),
        "satisfaction": satisfaction(counts),
        **dict.fromkeys(UNAVAILABLE),
    }
    values["score"] = score(values, on=on)
    return values


# --- points ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringSet:
    legal_basis: str
    effective_from: date
    # (name, points, threshold, confirmed) of each scored indicator
    indicators: tuple[tuple[str, Fraction, Fraction, bool], ...]

    def spec(self, name: str) -> tuple[Fraction, Fraction, bool] | None:
        """(points, threshold, confirmed) of an indicator; None when it is not scored."""
        return next((tuple(row[1:]) for row in self.indicators if row[0] == name), None)


def scoring_sets() -> list[ScoringSet]:
    """METRICS_SCORING, oldest first."""
    return list(_scoring_sets(repr(settings.METRICS_SCORING)))


@lru_cache(maxsize=4)
def _scoring_sets(raw: str) -> tuple[ScoringSet, ...]:
    found = []
    for entry in settings.METRICS_SCORING:
        indicators = tuple(
            (
                name,
                Fraction(str(spec.get("points", 0))),
                Fraction(str(spec.get("threshold", 100))),
                bool(spec.get("confirmed", False)),
            )
            for name, spec in entry["indicators"].items()
            if name in SCORED
        )
        found.append(
            ScoringSet(
                legal_basis=entry["legal_basis"],
                effective_from=date.fromisoformat(entry["effective_from"]),
                indicators=indicators,
            )
        )
    return tuple(sorted(found, key=lambda each: each.effective_from))


def scoring_in_force(on: date | None = None) -> ScoringSet:
    """The set in force on `on` (the newest one without a date; the oldest before all)."""
    sets = scoring_sets()
    if on is None:
        return sets[-1]
    in_force = [each for each in sets if each.effective_from <= on]
    return in_force[-1] if in_force else sets[0]


@lru_cache(maxsize=8)
def _scoring(scoring: ScoringSet) -> tuple[tuple[str, int, int, int, int], ...]:
    """(name, points numerator, points denominator, threshold numerator, its denominator)."""
    found = []
    for name, maximum, threshold, _confirmed in scoring.indicators:
        if maximum:
            found.append(
                (name, maximum.numerator, maximum.denominator, threshold.numerator,
                 threshold.denominator)
            )  # fmt: skip
    return tuple(found)


def score(values: dict[str, Fraction | None], *, on: date | None = None) -> Fraction | None:
    """Exact, in integers: Fraction arithmetic would cost more than the rest of a ranking."""
    earned_n, earned_d, total_n, total_d = 0, 1, 0, 1
    for name, wn, wd, tn, td in _scoring(scoring_in_force(on)):
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


def points(name: str, value: Fraction | None, *, on: date | None = None) -> Fraction | None:
    """The national points an indicator's value earns: points x min(1, value / threshold)."""
    found = scoring_in_force(on).spec(name)
    if value is None or found is None:
        return None
    maximum, threshold, _confirmed = found
    return maximum * min(ONE, value / threshold)


def rounded(value: Fraction | None) -> Decimal | None:
    """Two decimals, half up: what the API shows and what rankings compare."""
    if value is None:
        return None
    hundredths = (200 * value.numerator + value.denominator) // (2 * value.denominator)
    return Decimal(hundredths).scaleb(-2)


def rounded_indicators(counts: Counts, *, on: date | None = None) -> dict[str, Decimal | None]:
    return {name: rounded(value) for name, value in indicator_values(counts, on=on).items()}


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
