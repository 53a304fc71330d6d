"""The Vietnamese working-day calendar that every deadline is counted in.

A working day is Monday to Friday, minus the public holidays and decreed days off the `holidays`
package knows (country VN), plus the Saturdays it knows were decreed working days; then the days an
administrator entered (CalendarDay) win over all of that.

Arithmetic is done on a sorted list of working-day ordinals: the *rank* of a date is how many
working days fall on or before it, so adding N working days and counting the days between two dates
are both a binary search.
"""

import bisect
import threading
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

from procedures.caching import SharedVersionedValue

# How far past the newest year asked for the calendar is prepared, so extensions are rare.
_YEARS_AHEAD = 10


class WorkingCalendar:
    def __init__(
        self,
        *,
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
        first_year: int | None = None,
        last_year: int | None = None,
        closes_at: time | None = None,
        tz: str | None = None,
    ):
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)
        self._deadlines = {}  # (day, working days) -> deadline
        self.closes_at = closes_at or settings.OFFICE_CLOSES_AT
        self.tz = ZoneInfo(tz or settings.TIME_ZONE)
        today = timezone.localdate()
        self._first_year = first_year or min(settings.WORKING_CALENDAR_FIRST_YEAR, today.year)
        self._last_year = last_year or today.year + _YEARS_AHEAD
        self._lock = threading.Lock()
        self._build(self._first_year, self._last_year)

    def _build(self, first_year: int, last_year: int) -> None:
        public = holidays.VN(years=range(first_year, last_year + 1), language="vi")
        holiday_dates = set(public.keys())
        weekend_workdays = set(public.weekend_workdays)
        ordinals = []
        day = date(first_year, 1, 1)
        end = date(last_year, 12, 31)
        while day <= end:
            if day in self.working_days:
                working = True
            elif day in self.days_off:
                working = False
            else:
                working = (
                    day.weekday() < 5 and day not in holiday_dates
                ) or day in weekend_workdays
            if working:
                ordinals.append(day.toordinal())
            day += timedelta(days=1)
        self._holiday_names = {d: public.get(d) for d in holiday_dates}
        self._ordinals = ordinals
        self._first_year, self._last_year = first_year, last_year

    def _cover(self, day: date, margin_days: int = 0) -> None:
        """Extend the prepared years so that `day` +/- `margin_days` calendar days is inside."""
        low = (day - timedelta(days=abs(margin_days) * 2 + 31)).year
        high = (day + timedelta(days=abs(margin_days) * 2 + 31)).year
        if low >= self._first_year and high <= self._last_year:
            return
        with self._lock:
            first = min(low, self._first_year)
            last = max(high + _YEARS_AHEAD, self._last_year)
            if first < self._first_year or last > self._last_year:
                self._build(first, last)

    @property
    def years(self) -> tuple[int, int]:
        """The first and last year prepared (rank() of a day before the first is 0)."""
        return self._first_year, self._last_year

    # --- dates -----------------------------------------------------------------------------

    def rank(self, day: date) -> int:
        """How many working days fall on or before `day` (since the calendar's first year)."""
        self._cover(day)
        return bisect.bisect_right(self._ordinals, day.toordinal())

    def is_working_day(self, day: date) -> bool:
        self._cover(day)
        index = bisect.bisect_left(self._ordinals, day.toordinal())
        return index < len(self._ordinals) and self._ordinals[index] == day.toordinal()

    def holiday_name(self, day: date) -> str | None:
        return self._holiday_names.get(day)

    def add_working_days(self, day: date, n: int) -> date:
        """The working day that is `n` working days after `day` (before it when n < 0).

        add_working_days(d, 0) is d itself; for n != 0 the result is always a working day and
        working_days_between(d, result) == n.
        """
        if n == 0:
            return day
        self._cover(day, margin_days=n)
        target = self.rank(day) + n
        if target < 1:
            self._cover(day, margin_days=n * 2 + 366)
            target = self.rank(day) + n
        return date.fromordinal(self._ordinals[target - 1])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end comes before start."""
        return self.rank(end) - self.rank(start)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    # --- datetimes -------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def effective_day(self, moment: datetime) -> date:
        """The working day an action at `moment` counts for.

        After closing time or on a day off, it counts for the next working day.
        """
        local = self.local(moment)
        day = local.date()
        if local.time() > self.closes_at or not self.is_working_day(day):
            return self.next_working_day(day)
        return day

    def closing_time(self, day: date) -> datetime:
        return datetime.combine(day, self.closes_at, tzinfo=self.tz)

    def deadline(self, start: datetime, working_days: int) -> datetime:
        """Close of office hours on the N-th working day after the day `start` counts for."""
        day = self.effective_day(start)
        known = self._deadlines.get((day, working_days))
        if known is None:
            if len(self._deadlines) >= 4096:  # a day's acceptances ask a few dozen
                self._deadlines.clear()
            known = self._deadlines[day, working_days] = self.closing_time(
                self.add_working_days(day, working_days)
            )
        return known

    def count_working_days(self, start: datetime, end: datetime) -> int:
        """Working days from the day `start` counts for to the day `end` counts for.

        count_working_days(t, deadline(t, n)) == n.
        """
        return self.rank(self.effective_day(end)) - self.rank(self.effective_day(start))


def _build_calendar() -> WorkingCalendar:
    from procedures.models import CalendarDay, CalendarDayKind

    days_off, working_days = [], []
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (days_off if kind == CalendarDayKind.DAY_OFF else working_days).append(day)
    return WorkingCalendar(days_off=days_off, working_days=working_days)


_calendar = SharedVersionedValue("motcua:working-calendar", _build_calendar)


def get_calendar() -> WorkingCalendar:
    """The calendar with the administrators' days; rebuilt after any CalendarDay change."""
    return _calendar.get()


def invalidate_calendar() -> None:
    _calendar.invalidate()
