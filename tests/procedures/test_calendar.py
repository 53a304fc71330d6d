from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procedures.calendar import WorkingCalendar, get_calendar
from procedures.models import CalendarDay, CalendarDayKind

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def calendar():
    return WorkingCalendar(first_year=2015, last_year=2040)


def local(*args):
    return datetime(*args, tzinfo=HCM)


@pytest.mark.parametrize(
    "day",
    [date(2025, 1, 27), date(2025, 1, 28), date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31)],
)
def test_tet_2025_weekdays_are_days_off(calendar, day):
    assert not calendar.is_working_day(day)


def test_adding_a_working_day_before_tet_2025_skips_the_whole_holiday(calendar):
    assert calendar.add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)


@pytest.mark.parametrize("day", [date(2026, 2, 16), date(2026, 2, 18), date(2026, 2, 20)])
def test_tet_2026_weekdays_are_days_off(calendar, day):
    assert not calendar.is_working_day(day)


def test_adding_a_working_day_before_tet_2026_lands_after_it(calendar):
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)


def test_reunification_and_labour_day_2025_are_off(calendar):
    assert not calendar.is_working_day(date(2025, 4, 30))
    assert not calendar.is_working_day(date(2025, 5, 1))


def test_decreed_swap_2025_makes_2_may_off_and_saturday_26_april_a_working_day(calendar):
    assert not calendar.is_working_day(date(2025, 5, 2))
    assert calendar.is_working_day(date(2025, 4, 26))
    assert calendar.add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert calendar.add_working_days(date(2025, 4, 26), 1) == date(2025, 4, 28)
    assert calendar.add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)


def test_national_day_2025_takes_two_days_off(calendar):
    assert not calendar.is_working_day(date(2025, 9, 1))
    assert not calendar.is_working_day(date(2025, 9, 2))
    assert calendar.add_working_days(date(2025, 8, 29), 1) == date(2025, 9, 3)


def test_vietnam_culture_day_2026_is_off(calendar):
    assert not calendar.is_working_day(date(2026, 11, 24))
    assert calendar.add_working_days(date(2026, 11, 23), 1) == date(2026, 11, 25)


def test_ordinary_weekend_is_off_and_counting_skips_it(calendar):
    assert not calendar.is_working_day(date(2025, 3, 8))
    assert calendar.add_working_days(date(2025, 3, 7), 1) == date(2025, 3, 10)
    assert calendar.working_days_between(date(2025, 3, 7), date(2025, 3, 10)) == 1


def test_working_days_between_counts_backwards_as_negative(calendar):
    assert calendar.working_days_between(date(2025, 3, 10), date(2025, 3, 7)) == -1
    assert calendar.add_working_days(date(2025, 3, 10), -1) == date(2025, 3, 7)


def test_deadline_is_close_of_office_on_nth_working_day_after_acceptance(calendar):
    assert calendar.deadline(local(2025, 3, 3, 9, 0), 3) == local(2025, 3, 6, 17, 0)


def test_acceptance_after_closing_time_counts_from_next_working_day(calendar):
    assert calendar.deadline(local(2025, 3, 3, 17, 30), 1) == local(2025, 3, 5, 17, 0)
    assert calendar.deadline(local(2025, 3, 3, 16, 59), 1) == local(2025, 3, 4, 17, 0)


def test_acceptance_at_closing_time_exactly_still_counts_that_day(calendar):
    assert calendar.deadline(local(2025, 3, 3, 17, 0), 1) == local(2025, 3, 4, 17, 0)


def test_acceptance_on_a_day_off_counts_from_next_working_day(calendar):
    # Saturday 8 March 2025 counts as Monday 10 March.
    assert calendar.deadline(local(2025, 3, 8, 10, 0), 1) == local(2025, 3, 11, 17, 0)
    # Friday evening before Tết 2026 counts as Monday 23 February.
    assert calendar.deadline(local(2026, 2, 13, 18, 0), 1) == local(2026, 2, 24, 17, 0)


def test_utc_times_are_read_in_the_office_time_zone(calendar):
    # 10:30 UTC is 17:30 in Hà Nội: after closing.
    moment = datetime(2025, 3, 3, 10, 30, tzinfo=ZoneInfo("UTC"))
    assert calendar.effective_day(moment) == date(2025, 3, 4)


def test_office_closing_time_is_a_setting():
    late_office = WorkingCalendar(first_year=2025, last_year=2026, closes_at=time(17, 30))
    assert late_office.effective_day(local(2025, 3, 3, 17, 15)) == date(2025, 3, 3)


def test_calendar_extends_beyond_prepared_years(calendar):
    assert calendar.add_working_days(date(2040, 12, 28), 30) > date(2041, 1, 31)
    assert calendar.is_working_day(date(2050, 1, 4))
    # 1 January 2050 is a Saturday: the holiday is made up on Monday the 3rd.
    assert not calendar.is_working_day(date(2050, 1, 3))


@pytest.mark.django_db
def test_administrator_added_day_off_is_skipped_and_cache_dropped_on_change():
    assert get_calendar().add_working_days(date(2027, 3, 9), 1) == date(2027, 3, 10)
    day = CalendarDay.objects.create(date=date(2027, 3, 10), kind=CalendarDayKind.DAY_OFF)
    assert get_calendar().add_working_days(date(2027, 3, 9), 1) == date(2027, 3, 11)
    day.delete()
    assert get_calendar().add_working_days(date(2027, 3, 9), 1) == date(2027, 3, 10)


@pytest.mark.django_db
def test_administrator_added_make_up_saturday_is_a_working_day():
    assert get_calendar().add_working_days(date(2027, 3, 12), 1) == date(2027, 3, 15)
    CalendarDay.objects.create(date=date(2027, 3, 13), kind=CalendarDayKind.WORKING_DAY)
    assert get_calendar().is_working_day(date(2027, 3, 13))
    assert get_calendar().add_working_days(date(2027, 3, 12), 1) == date(2027, 3, 13)


@pytest.mark.django_db
def test_administrator_day_wins_over_a_public_holiday():
    CalendarDay.objects.create(date=date(2026, 9, 2), kind=CalendarDayKind.WORKING_DAY)
    assert get_calendar().is_working_day(date(2026, 9, 2))


@pytest.mark.django_db
def test_bulk_deleting_calendar_days_drops_the_cache():
    CalendarDay.objects.create(date=date(2027, 3, 10), kind=CalendarDayKind.DAY_OFF)
    assert not get_calendar().is_working_day(date(2027, 3, 10))
    CalendarDay.objects.all().delete()
    assert get_calendar().is_working_day(date(2027, 3, 10))


dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2038, 12, 31))


@settings(max_examples=500, deadline=None)
@given(start=dates, n=st.integers(min_value=-400, max_value=400))
def test_adding_n_working_days_and_counting_back_gives_n(calendar, start, n):
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n
    if n != 0:
        assert calendar.is_working_day(end)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2015, 1, 1), max_value=datetime(2038, 1, 1), timezones=st.just(HCM)
    ),
    n=st.integers(min_value=0, max_value=200),
)
def test_deadline_lies_n_working_days_after_acceptance(calendar, start, n):
    due = calendar.deadline(start, n)
    assert calendar.count_working_days(start, due) == n
    assert due.timetz().replace(tzinfo=None) == time(17, 0)
    assert due >= start - timedelta(days=1) or n == 0
