"""A unit at a glance: the pipeline funnel, stalled candidates, segments, quota progress."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiosqlite

from bot import quotas
from bot.rules.book import RuleBook
from storage.reports import current_stages
from storage.units import get_unit, subtree_ids


@dataclass(frozen=True)
class UnitStatus:
    """What /donvi shows for one unit."""

    unit_name: str
    funnel: dict[str, int]  # stage -> candidates standing there (pipeline order)
    in_pipeline: int
    stalled: list[dict[str, Any]]  # oldest first
    stalled_weeks: int
    segments: dict[str | None, int]
    quotas: list[quotas.QuotaProgress]


def funnel(current: list[dict[str, Any]], order: list[str]) -> dict[str, int]:
    """How many candidates stand at each stage, in pipeline order then outcomes."""
    counts: dict[str, int] = {}
    for row in current:
        counts[row["stage"]] = counts.get(row["stage"], 0) + 1
    rank = {stage: i for i, stage in enumerate(order)}
    return dict(sorted(counts.items(), key=lambda item: rank.get(item[0], len(order))))


def stalled(current: list[dict[str, Any]], before: date, finished: Collection[str]
            ) -> list[dict[str, Any]]:
    """Candidates still in the pipeline whose last step is older than `before`, oldest first."""
    waiting = [row for row in current
               if row["stage"] not in finished and row["event_date"] < before.isoformat()]
    return sorted(waiting, key=lambda row: row["event_date"])


def by_segment(current: list[dict[str, Any]], finished: Collection[str]
               ) -> dict[str | None, int]:
    """Candidates still in the pipeline, per source segment (None: not recorded)."""
    counts: dict[str | None, int] = {}
    for row in current:
        if row["stage"] not in finished:
            counts[row["segment"]] = counts.get(row["segment"], 0) + 1
    return counts


async def for_unit(db: aiosqlite.Connection, unit_id: int, today: date, book: RuleBook,
                   stalled_weeks: int) -> UnitStatus:
    """Everything /donvi shows about one unit (and the units below it)."""
    unit = await get_unit(db, unit_id)
    current = await current_stages(db, await subtree_ids(db, unit_id))
    finished = {*book.terminal_codes(), book.final_stage()}
    waiting = stalled(current, today - timedelta(weeks=stalled_weeks), finished)
    progress = await quotas.for_units(db, [unit_id], today, book)
    return UnitStatus(unit["name"], funnel(current, book.pipeline_codes()),
                      sum(1 for row in current if row["stage"] not in finished), waiting,
                      stalled_weeks, by_segment(current, finished), progress)
