"""The current stage kept on each candidate row agrees with the rule book's definition."""

from __future__ import annotations

import random
from datetime import date, timedelta

from bot.rules.book import load_rulebook
from bot.rules.evaluate import StageRecord, current_stage, stage_ranking
from storage import candidates, units
from storage.current import sync_stage_ranking

BOOK = load_rulebook()
STAGES = [s.code for s in BOOK.stages] + ["not_in_the_book"]


async def _random_histories(conn, rng: random.Random, count: int) -> list[int]:
    """`count` candidates with random events: same days, corrections, unknown stages."""
    cell = await units.add_unit(conn, "cell", "Chi bộ 1")
    made = []
    for i in range(count):
        candidate = await candidates.add_candidate(conn, f"Người {i}", cell)
        events: list[int] = []
        for _ in range(rng.randint(0, 7)):
            day = date(2025, 1, 1) + timedelta(days=rng.randint(0, 20))  # many same days
            supersedes = rng.choice(events) if events and rng.random() < 0.25 else None
            events.append(await candidates.add_stage_event(
                conn, candidate, rng.choice(STAGES), day, supersedes_id=supersedes))
        made.append(candidate)
    return made


async def _agrees(conn, candidate_id: int) -> bool:
    row = await candidates.get_candidate(conn, candidate_id)
    history = [StageRecord(e["stage"], date.fromisoformat(e["event_date"]))
               for e in await candidates.effective_events(conn, candidate_id)]
    expected = current_stage(BOOK, history)
    expected_date = max((r.event_date for r in history if r.stage == expected), default=None)
    return (row["current_stage"], row["current_stage_date"]) == (
        expected, expected_date.isoformat() if expected_date else None)


async def test_kept_stage_matches_the_rule_book_over_random_histories(conn):
    made = await _random_histories(conn, random.Random(5), 300)
    disagreements = [c for c in made if not await _agrees(conn, c)]
    assert disagreements == []


async def test_a_changed_ranking_recomputes_every_candidate(conn):
    made = await _random_histories(conn, random.Random(9), 60)
    ranking = stage_ranking(BOOK)
    assert await sync_stage_ranking(conn, ranking) is False  # unchanged: nothing to do
    # A rule book that reverses the pipeline order changes who stands where.
    reversed_order = {code: (ends, -position) for code, (ends, position) in ranking.items()}
    assert await sync_stage_ranking(conn, reversed_order) is True
    assert await sync_stage_ranking(conn, ranking) is True
    assert all([await _agrees(conn, c) for c in made])


async def test_a_database_filled_before_the_ranking_is_known_is_caught_up(tmp_path):
    from storage.db import open_database

    conn = await open_database(tmp_path / "old.sqlite3")  # events before any sync
    try:
        made = await _random_histories(conn, random.Random(3), 40)
        assert {(await candidates.get_candidate(conn, c))["current_stage"] for c in made} \
            == {None}
        await sync_stage_ranking(conn, stage_ranking(BOOK))
        assert all([await _agrees(conn, c) for c in made])
    finally:
        await conn.close()
