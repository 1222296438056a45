"""Status queries at scale: 10^3 units, 2·10^5 candidates, 10^6 stage events.

Usage: python benchmarks/status.py [REPEAT]

Prints p50/p99 of one candidate's status (what /tiendo computes: facts, effective events,
rule evaluation, audit row), of a commune's unit report (what /donvi computes: funnel,
stalled, segments, quota progress) and of the whole province's report, plus peak RSS.
Goals (issue 5): candidate p99 <= 5 ms, unit report <= 200 ms, peak RSS <= 150 MB.
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bot import unit_status
from bot.pipeline import Pipeline
from bot.rules.book import load_rulebook
from bot.rules.calendar import WorkingCalendar
from bot.rules.evaluate import stage_ranking
from storage import units
from storage.access import Scope
from storage.current import sync_stage_ranking
from storage.db import open_database
from storage.quotas import set_quota

COMMUNES = 20
CELLS = 979  # with the province and the communes: 1 000 units
CANDIDATES = 200_000
EVENTS_PER_CANDIDATE = 5  # 10^6 events
STAGES = ("identified", "awareness_class_done", "application_filed", "background_verified",
          "introducers_recorded")
TODAY = date(2026, 11, 23)



async def build(path: Path):
    """The database: units by the repository, candidates and events by SQL in bulk."""
    db = await open_database(path)
    await sync_stage_ranking(db, stage_ranking(load_rulebook()))  # as the app does at start
    province = await units.add_unit(db, "province_committee", "Tỉnh")
    communes = [await units.add_unit(db, "commune_committee", f"Xã {i}", province)
                for i in range(COMMUNES)]
    cells = [await units.add_unit(db, "cell", f"Chi bộ {i}", communes[i % COMMUNES])
             for i in range(CELLS)]
    first_cell = cells[0]
    await db.execute("BEGIN")
    await db.execute(
        f"""
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {CANDIDATES - 1})
        INSERT INTO candidates (full_name, name_folded, cell_id, birth_date, segment)
        SELECT 'Người ' || i, 'nguoi ' || i, {first_cell} + i % {CELLS},
               date('2000-01-01', '+' || (i % 3000) || ' days'),
               CASE i % 3 WHEN 0 THEN 'thpt' WHEN 1 THEN 'residential' ELSE 'university' END
        FROM n
        """)
    for step, stage in enumerate(STAGES):
        await db.execute(
            f"""
            INSERT INTO stage_events (candidate_id, stage, event_date)
            SELECT id, '{stage}', date('2025-01-01', '+' || (id % 300 + {step * 30}) || ' days')
            FROM candidates
            """)
    await db.execute("COMMIT")
    for commune in communes:
        await set_quota(db, commune, "year", date(2026, 1, 1), date(2026, 12, 31), 40)
    return db, province, communes


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)]


async def timed(call, repeat: int) -> tuple[float, float]:
    """Run `call()` `repeat` times; p50/p99 in ms."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


async def main(repeat: int) -> None:
    """Build, then time the three queries and report memory."""
    book, calendar = load_rulebook(), WorkingCalendar()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        db, province, communes = await build(Path(tmp) / "status.sqlite3")
        print(f"built 1000 units, {CANDIDATES} candidates, "
              f"{CANDIDATES * EVENTS_PER_CANDIDATE} events in {time.perf_counter() - started:.1f} s")
        pipeline = Pipeline(db, book, calendar)
        everyone = Scope(None, (), frozenset(await units_ids(db)), admin=True)
        rng = random.Random(7)

        async def candidate_status():
            await pipeline.status(everyone, rng.randrange(1, CANDIDATES + 1), TODAY)

        async def commune_report():
            await unit_status.for_unit(db, rng.choice(communes), TODAY, book, 8)

        async def province_report():
            await unit_status.for_unit(db, province, TODAY, book, 8)

        for name, call, times in (("candidate status", candidate_status, repeat * 10),
                                  ("commune report", commune_report, repeat),
                                  ("province report", province_report, max(3, repeat // 5))):
            p50, p99 = await timed(call, times)
            print(f"{name:17} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   ({times} runs)")
        await db.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")


async def units_ids(db) -> list[int]:
    """Every unit id."""
    return [u["id"] for u in await units.list_units(db)]


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
