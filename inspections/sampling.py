"""Drawing a reproducible random sample of a unit's dossiers for an inspection.

The candidates are the dossiers of the inspected unit itself (not of units below it) received in
the period under review, in id order; `random.Random(seed)` draws from that list, so the same seed
on the same records gives the same sample on any database. With an overdue share, that share of
the sample (rounded half up, at most the overdue candidates there are) is drawn from the overdue
dossiers first, and the rest from all the candidates not drawn yet.

The candidate ids are held in memory: that is bounded by one unit's dossiers of one period.
"""

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from procedures.models import Dossier
from procedures.selectors import overdue_condition


def period_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[start of the first day, start of the day after the last) in the office time zone."""
    tz = timezone.get_default_timezone()
    return (
        datetime.combine(first_day, time.min, tzinfo=tz),
        datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz),
    )


def candidates(*, unit_id: int, first_day: date, last_day: date, now) -> tuple[list, set]:
    """The ids of the unit's dossiers received in the period (ordered), and the overdue ones."""
    start, end = period_bounds(first_day, last_day)
    received = Dossier.objects.filter(unit_id=unit_id, received_at__gte=start, received_at__lt=end)
    ids = list(received.order_by("id").values_list("id", flat=True))
    overdue = set(received.filter(overdue_condition(now)).values_list("id", flat=True))
    return ids, overdue


def draw(
    ids: Sequence[int], overdue: set[int], *, size: int, seed: int, overdue_share: float = 0
) -> list[tuple[int, bool]]:
    """Up to `size` of `ids`, each with whether it was drawn for the overdue share."""
    rng = random.Random(seed)
    ordered = sorted(ids)
    late = [pk for pk in ordered if pk in overdue]
    wanted_late = min(len(late), int(size * overdue_share + 0.5)) if overdue_share else 0
    first = rng.sample(late, wanted_late)
    drawn = set(first)
    rest = [pk for pk in ordered if pk not in drawn]
    second = rng.sample(rest, min(len(rest), size - wanted_late))
    return [(pk, True) for pk in first] + [(pk, False) for pk in second]
