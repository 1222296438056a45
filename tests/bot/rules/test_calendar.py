"""Calendar months, full ages and Vietnamese working days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.calendar import (
    WorkingCalendar,
    add_months,
    age_in_months,
    full_age_date,
    full_months_date,
)

dates_2020_2035 = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2025, 3, 31), 1, date(2025, 4, 30)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(2025, 7, 1), 12, date(2026, 7, 1)),
    (date(2020, 7, 1), 60, date(2025, 7, 1)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
    (date(2025, 1, 10), -1, date(2024, 12, 10)),
    (date(2025, 5, 20), 0, date(2025, 5, 20)),
])
def test_add_months_clamps_to_the_end_of_a_shorter_month(start, n, expected):
    assert add_months(start, n) == expected


def test_leap_day_birth_is_17_on_28_february_and_18_on_1_march():
    birth = date(2008, 2, 29)
    assert age_in_months(birth, date(2026, 2, 28)) == 18 * 12 - 1
    assert age_in_months(birth, date(2026, 3, 1)) == 18 * 12
    assert full_age_date(birth, 18) == date(2026, 3, 1)


def test_leap_day_birth_in_a_leap_year_is_18_on_29_february():
    birth = date(2008, 2, 29)
    assert full_age_date(birth, 20) == date(2028, 2, 29)
    assert age_in_months(birth, date(2028, 2, 28)) == 20 * 12 - 1
    assert age_in_months(birth, date(2028, 2, 29)) == 20 * 12


def test_eighteenth_birthday_is_the_first_day_of_full_age():
    birth = date(2008, 6, 15)
    assert full_age_date(birth, 18) == date(2026, 6, 15)
    assert age_in_months(birth, date(2026, 6, 14)) == 215
    assert age_in_months(birth, date(2026, 6, 15)) == 216


def test_birth_on_the_31st_completes_a_month_on_the_1st_when_the_month_is_short():
    birth = date(2025, 1, 31)
    assert age_in_months(birth, date(2025, 2, 28)) == 0
    assert age_in_months(birth, date(2025, 3, 1)) == 1
    assert full_months_date(birth, 1) == date(2025, 3, 1)
    assert full_months_date(birth, 2) == date(2025, 3, 31)


def test_age_before_birth_is_negative():
    assert age_in_months(date(2008, 6, 15), date(2008, 6, 1)) == -1


@given(birth=st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31)),
       start=dates_2020_2035, step=st.integers(min_value=0, max_value=800))
def test_age_in_months_never_decreases(birth, start, step):
    assert age_in_months(birth, start) <= age_in_months(birth, start + timedelta(days=step))


@given(birth=st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31)),
       years=st.integers(min_value=0, max_value=80))
def test_full_age_date_is_the_first_day_of_that_age(birth, years):
    first = full_age_date(birth, years)
    assert age_in_months(birth, first) >= years * 12
    assert age_in_months(birth, first - timedelta(days=1)) < years * 12


def test_30_working_days_from_a_friday_skip_weekends(work_calendar):
    friday = date(2025, 10, 3)
    assert work_calendar.add_working_days(friday, 1) == date(2025, 10, 6)
    assert work_calendar.add_working_days(friday, 30) == date(2025, 11, 14)


def test_tet_2026_days_are_holidays(work_calendar):
    for day in range(16, 21):  # 29 Tết (Mon 16/02) to Mùng 4 (Fri 20/02); Mùng 1 is 17/02
        assert not work_calendar.is_working_day(date(2026, 2, day))
        assert work_calendar.is_holiday(date(2026, 2, day))
    assert work_calendar.is_working_day(date(2026, 2, 13))
    assert work_calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert work_calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_tet_2027_days_are_holidays(work_calendar):
    # Mùng 1 Tết Đinh Mùi is Saturday 06/02/2027.
    assert work_calendar.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert work_calendar.is_holiday(date(2027, 2, 6))


def test_30_april_and_1_may(work_calendar):
    assert work_calendar.add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)
    assert work_calendar.add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)


def test_national_day_and_its_swapped_day_off(work_calendar):
    # 2026: 31/08 off in exchange for Saturday 22/08 worked; 01/09 and 02/09 holidays.
    assert work_calendar.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    assert work_calendar.is_working_day(date(2026, 8, 22))


def test_extra_holidays_and_working_days_can_be_decreed():
    calendar = WorkingCalendar(
        extra_holidays=[date(2025, 10, 6)], extra_working_days=[date(2025, 10, 11)]
    )
    assert not calendar.is_working_day(date(2025, 10, 6))
    assert calendar.is_working_day(date(2025, 10, 11))


def test_working_days_between_is_zero_or_negative_backwards(work_calendar):
    monday = date(2025, 10, 6)
    assert work_calendar.working_days_between(monday, monday) == 0
    assert work_calendar.working_days_between(date(2025, 10, 4), monday) == 1
    assert work_calendar.working_days_between(monday, date(2025, 10, 3)) == -1
    assert work_calendar.working_days_between(date(2025, 10, 10), monday) == -4


def test_add_zero_working_days_is_the_start(work_calendar):
    saturday = date(2025, 10, 4)
    assert work_calendar.add_working_days(saturday, 0) == saturday
    with pytest.raises(ValueError):
        work_calendar.add_working_days(saturday, -1)


@settings(max_examples=150, deadline=None)
@given(start=dates_2020_2035, n=st.integers(min_value=0, max_value=400))
def test_add_working_days_and_working_days_between_agree(work_calendar, start, n):
    end = work_calendar.add_working_days(start, n)
    assert work_calendar.working_days_between(start, end) == n
    if n > 0:
        assert work_calendar.is_working_day(end)
        assert end > start
