"""Quota progress for the asker's units: target, admitted, pace, and the NQ 21 norm.

Answered from the database, never from the knowledge base. `progress` is pure; `for_scope`
reads what it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot.rules.book import RuleBook, Source
from bot.text import fold
from storage import audit, quotas
from storage.db import transaction
from storage.access import Scope
from storage.units import children, get_unit, subtree_ids

NORM_RULE = "yearly_admission_norm"
PUNCTUATION = re.compile(r"[^\w\s]")
QUOTA_WORDS = ("chi tieu", "ke hoach", "ket nap", "con thieu", "phan tram")
# Words that make a quota question about the asker's own units and the current period.
OWN_WORDS = ("toi", "minh", "chung toi", "don vi", "nam nay", "hien nay", "den nay",
             "da ket nap", "ket nap duoc", "con thieu", "dat bao nhieu", "dat duoc", "tien do")


@dataclass(frozen=True)
class QuotaProgress:
    """How one unit stands against one target."""

    unit_name: str
    period_kind: str
    period_start: date
    period_end: date
    segment: str | None
    target: int
    admitted: int
    elapsed: float  # share of the period gone by today, 0..1
    members: int | None
    norm_low: float | None  # NQ 21 yearly admissions for this membership
    norm_high: float | None
    norm_source: Source | None

    @property
    def achieved(self) -> float:
        """Admitted ÷ target (0 when the target is 0)."""
        return self.admitted / self.target if self.target else 0.0

    @property
    def missing(self) -> int:
        """How many more admissions reach the target."""
        return max(self.target - self.admitted, 0)


DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class Pace:
    """Where a quota should stand today at an even pace, and what the rest needs."""

    expected: int  # admissions an even pace would have reached by today
    behind: bool
    days_left: int
    per_month: float  # admissions needed per remaining month (the whole rest if < 1 month)


def pace(item: QuotaProgress, today: date) -> Pace:
    """Compare the admissions with an even pace over the period."""
    expected = int(item.target * item.elapsed)
    days_left = max((item.period_end - today).days, 0)
    months_left = max(days_left / DAYS_PER_MONTH, 1.0)
    return Pace(expected, item.admitted < expected, days_left, item.missing / months_left)


def is_quota_question(text: str) -> bool:
    """A question about the asker's own quota or progress (not about quota rules)."""
    folded = " " + PUNCTUATION.sub(" ", fold(text)) + " "
    return any(f" {w} " in folded for w in QUOTA_WORDS) and \
        any(f" {w} " in folded for w in OWN_WORDS)


def elapsed_share(start: date, end: date, today: date) -> float:
    """Share of [start, end] gone by at the end of `today`."""
    total = (end - start).days + 1
    gone = min(max((today - start).days + 1, 0), total)
    return gone / total if total > 0 else 1.0


def progress(unit_name: str, quota: dict, admitted: int, members: int | None, today: date,
             book: RuleBook) -> QuotaProgress:
    """Combine a quota row, the admissions counted and the membership into progress."""
    start, end = date.fromisoformat(quota["period_start"]), date.fromisoformat(quota["period_end"])
    norm = book.rule(NORM_RULE)
    low = members * norm.params["min_percent"] / 100 if members else None
    high = members * norm.params["max_percent"] / 100 if members else None
    return QuotaProgress(unit_name, quota["period_kind"], start, end, quota["segment"],
                         quota["target"], admitted, elapsed_share(start, end, today),
                         members, low, high, norm.source if members else None)


async def for_scope(db: aiosqlite.Connection, scope: Scope, today: date, book: RuleBook
                    ) -> list[QuotaProgress]:
    """Progress of the current quotas of the units the asker has a role on; for a unit with
    no quota of its own, of the nearest units below it that have one."""
    return await for_units(db, [unit for unit, _role in scope.roles], today, book)


async def for_units(db: aiosqlite.Connection, unit_ids: list[int], today: date,
                    book: RuleBook) -> list[QuotaProgress]:
    """Current quota progress of these units, or of the nearest units below that have one."""
    results = []
    for role_unit in dict.fromkeys(unit_ids):
        for unit_id, rows in await _nearest_quotas(db, role_unit, today):
            unit = await get_unit(db, unit_id)
            cells = await subtree_ids(db, unit_id)
            members = await quotas.membership(db, unit_id)
            for quota in rows:
                start = date.fromisoformat(quota["period_start"])
                end = date.fromisoformat(quota["period_end"])
                admitted = await quotas.admitted_count(db, cells, start, min(end, today),
                                                       quota["segment"])
                results.append(progress(unit["name"], quota, admitted, members, today, book))
    return results


async def _nearest_quotas(db: aiosqlite.Connection, unit_id: int, today: date
                          ) -> list[tuple[int, list[dict]]]:
    """The unit's current quotas, or, level by level, those of the nearest units below."""
    found: list[tuple[int, list[dict]]] = []
    level = [unit_id]
    while level:
        below = []
        for current in level:
            rows = await quotas.quotas_of(db, current, on=today)
            if rows:
                found.append((current, rows))
            else:
                below += [child["id"] for child in await children(db, current)]
        level = below
    return found


TERM_YEARS = 5
FIRST_TERM_START = 2020  # Party congress terms: 2020–2025, 2025–2030, ...


def period_choices(today: date) -> list[str]:
    """Periods a quota can be set for: this year, next year, the current term."""
    term = today.year - (today.year - FIRST_TERM_START) % TERM_YEARS
    return [f"year:{today.year}", f"year:{today.year + 1}", f"term:{term}"]


def period_bounds(value: str) -> tuple[str, date, date]:
    """`year:2026` → ("year", 01/01/2026, 31/12/2026); `term:2025` → 2025–2030."""
    kind, _, year_text = value.partition(":")
    year = int(year_text)
    last = year if kind == "year" else year + TERM_YEARS
    return kind, date(year, 1, 1), date(last, 12, 31)


async def save_target(db: aiosqlite.Connection, allowed_units: set[int], person_id: int | None,
                      unit_id: int, period: str, segment: str | None, target: int) -> None:
    """Set a unit's target if the asker manages the unit (else PermissionError)."""
    if unit_id not in allowed_units:
        raise PermissionError(unit_id)
    kind, start, end = period_bounds(period)
    async with transaction(db):
        await quotas.set_quota(db, unit_id, kind, start, end, target, segment)
        await audit.record(db, person_id, "quota.set", "unit", unit_id,
                           {"period": period, "segment": segment, "target": target})
