"""Fixtures for the rule book tests: the packaged book and one working calendar."""

from __future__ import annotations

import pytest

from bot.rules.book import RuleBook, load_rulebook
from bot.rules.calendar import WorkingCalendar


@pytest.fixture(scope="session")
def book() -> RuleBook:
    """The packaged rule book."""
    return load_rulebook()


@pytest.fixture(scope="session")
def work_calendar() -> WorkingCalendar:
    """Vietnamese working days, shared so holidays load once per year."""
    return WorkingCalendar()
