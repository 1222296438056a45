"""Dates the rules count in: calendar months, full ages, and Vietnamese working days.

Two month conventions, each chosen for what it measures:

* Periods and deadlines (`add_months`) end on the same day-number `n` months later; when
  that month is shorter, on its last day (Bộ luật Dân sự 2015, Điều 148: "nếu tháng kết
  thúc thời hạn không có ngày tương ứng thì thời hạn kết thúc vào ngày cuối cùng của tháng
  đó"). 31/01 + 1 month = 28/02 (29/02 in a leap year); 29/02/2024 + 12 = 28/02/2025.
* Ages (`age_in_months`, `full_age_date`) never admit anyone early: a month of age is
  complete on the same day-number; when the month has no such day (born on the 29th-31st),
  it is complete only on the 1st of the following month. So "đủ 18 tuổi" is the 18th
  birthday, and someone born on 29/02 is a full 18 years old on 01/03 of a non-leap year
  (28/02 is still 17). The two age functions agree: `full_age_date(b, y)` is the first day
  on which `age_in_months(b, day) >= 12 * y`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays

MONTHS_PER_YEAR = 12
SATURDAY = 5


def days_in_month(year: int, month: int) -> int:
    """Number of days in the month."""
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - timedelta(days=1)).day


def _shift_month(year: int, month: int, n: int) -> tuple[int, int]:
    """The (year, month) `n` months after (year, month); `n` may be negative."""
    index = year * MONTHS_PER_YEAR + (month - 1) + n
    return index // MONTHS_PER_YEAR, index % MONTHS_PER_YEAR + 1


def add_months(d: date, n: int) -> date:
    """The same day-number `n` months later (or earlier), clamped to the month's last day."""
    year, month = _shift_month(d.year, d.month, n)
    return date(year, month, min(d.day, days_in_month(year, month)))


def age_in_months(birth: date, on: date) -> int:
    """Full months of age on `on`: a month counts once its day-number is reached.

    A day-number the month lacks is reached on the 1st of the next month (see the module
    docstring). Negative when `on` is before `birth`.
    """
    months = (on.year - birth.year) * MONTHS_PER_YEAR + (on.month - birth.month)
    if on.day < birth.day:
        months -= 1
    return months


def full_months_date(birth: date, months: int) -> date:
    """The first day on which someone born on `birth` is `months` full months old."""
    year, month = _shift_month(birth.year, birth.month, months)
    if birth.day <= days_in_month(year, month):
        return date(year, month, birth.day)
    year, month = _shift_month(year, month, 1)
    return date(year, month, 1)


def full_age_date(birth: date, years: int) -> date:
    """The first day on which someone born on `birth` is `years` full years old."""
    return full_months_date(birth, years * MONTHS_PER_YEAR)


class WorkingCalendar:
    """Vietnamese working days: Monday to Friday, minus public holidays.

    Holidays come from `holidays.country_holidays("VN")`, loaded per year on first use and
    cached in this instance. The library has Tết (several days around Mùng 1), Giỗ Tổ Hùng
    Vương, 30/4, 1/5, 2/9 (two days), their observed days, and some of the compensatory
    arrangements decreed yearly (a weekday off swapped with a working Saturday, "nghỉ bù" /
    "làm bù"): it lists the day off as a holiday and the Saturday as a working day. Decrees
    it does not know yet can be added with `extra_holidays` (days off) and
    `extra_working_days` (weekend days worked).
    """

    def __init__(
        self,
        country: str = "VN",
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self._country = country
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_working_days = frozenset(extra_working_days)
        self._years: dict[int, tuple[frozenset[date], frozenset[date]]] = {}

    def _year(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """The (holidays, weekend working days) of one year, loaded on first use."""
        if year not in self._years:
            table = holidays.country_holidays(self._country, years=year)
            workdays = getattr(table, "weekend_workdays", ())
            self._years[year] = (
                frozenset(table.keys()),
                frozenset(d for d in workdays if d.year == year),
            )
        return self._years[year]

    def is_holiday(self, d: date) -> bool:
        """A public holiday (or an extra day off), whatever the weekday."""
        return d in self._extra_holidays or d in self._year(d.year)[0]

    def is_working_day(self, d: date) -> bool:
        """Monday to Friday and not a holiday, or a decreed working weekend day."""
        if d in self._extra_working_days or d in self._year(d.year)[1]:
            return True
        return d.weekday() < SATURDAY and not self.is_holiday(d)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start`: the last day of "within n working days".

        Counting starts the day after `start`; `start` itself is returned for n = 0.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b`; negative when `b` is before `a`."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count
