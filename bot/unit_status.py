"""A unit at a glance: the pipeline funnel, stalled candidates, segments, quota progress."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiosqlite

from bot import quotas
from bot.rules.book import RuleBook
from bot.rules.evaluate import finished_stages
from storage import reports
from storage.units import get_unit, subtree_ids

MAX_STALLED = 10  # stalled candidates named in a report; the rest are counted


@dataclass(frozen=True)
class UnitStatus:
    """What /donvi shows for one unit."""

    unit_name: str
    funnel: dict[str, int]  # stage -> candidates standing there (pipeline order)
    in_pipeline: int
    stalled_count: int
    stalled: list[dict[str, Any]]  # the longest waiting first, at most MAX_STALLED
    stalled_weeks: int
    segments: dict[str | None, int]
    quotas: list[quotas.QuotaProgress]


def funnel(counts: Mapping[str, int], order: list[str]) -> dict[str, int]:
    """Stage counts in pipeline order, then outcomes and unknown stages."""
    rank = {stage: i for i, stage in enumerate(order)}
    return dict(sorted(counts.items(), key=lambda item: (rank.get(item[0], len(order)),
                                                         item[0])))


async def for_unit(db: aiosqlite.Connection, unit_id: int, today: date, book: RuleBook,
                   stalled_weeks: int) -> UnitStatus:
    """Everything /donvi shows about one unit (and the units below it)."""
    unit = await get_unit(db, unit_id)
    units = await subtree_ids(db, unit_id)
    finished = finished_stages(book)
    counts = await reports.stage_counts(db, units)
    stalled_count, waiting = await reports.stalled(
        db, units, finished, today - timedelta(weeks=stalled_weeks), MAX_STALLED)
    progress = await quotas.for_units(db, [unit_id], today, book)
    return UnitStatus(unit["name"], funnel(counts, book.pipeline_codes()),
                      sum(n for stage, n in counts.items() if stage not in finished),
                      stalled_count, waiting, stalled_weeks,
                      await reports.segment_counts(db, units, finished), progress)
