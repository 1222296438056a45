"""The rule book's stage ranking in SQLite, which keeps each candidate's current stage.

`candidates.current_stage` / `current_stage_date` are written by a trigger on every new
stage event (migration 0006) from the `stage_ranking` table; this module fills that
table from the rule book and recomputes every candidate when the ranking changed (first
start, or a new rule book that reorders or adds stages).
"""

from __future__ import annotations

from collections.abc import Mapping

import aiosqlite

from storage.db import transaction

_RECOMPUTE_ALL = """
    UPDATE candidates SET (current_stage, current_stage_date) = (
        SELECT stage, event_date FROM ranked_events
        WHERE candidate_id = candidates.id
        ORDER BY ends DESC, event_date DESC, position DESC
        LIMIT 1)
"""


async def sync_stage_ranking(conn: aiosqlite.Connection,
                             ranking: Mapping[str, tuple[int, int]]) -> bool:
    """Store `stage -> (ends, position)`; returns True when it changed (all recomputed)."""
    rows = await conn.execute_fetchall("SELECT stage, ends, position FROM stage_ranking")
    if {row["stage"]: (row["ends"], row["position"]) for row in rows} == dict(ranking):
        return False
    async with transaction(conn):
        await conn.execute("DELETE FROM stage_ranking")
        await conn.executemany(
            "INSERT INTO stage_ranking (stage, ends, position) VALUES (?, ?, ?)",
            [(stage, ends, position) for stage, (ends, position) in ranking.items()])
        await conn.execute(_RECOMPUTE_ALL)
    return True
