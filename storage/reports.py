"""Where the candidates of a set of units stand, for unit reports.

A candidate's current stage is its latest effective (not superseded) event, by date then
by the order it was recorded.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import aiosqlite

_CURRENT = """
    WITH effective AS (
        SELECT e.id, e.candidate_id, e.stage, e.event_date FROM stage_events AS e
        JOIN candidates AS c ON c.id = e.candidate_id
        WHERE (c.cell_id IN ({marks}) OR c.youth_branch_id IN ({marks}))
          AND NOT EXISTS (SELECT 1 FROM stage_events AS s WHERE s.supersedes_id = e.id)
    ), ranked AS (
        SELECT *, row_number() OVER (PARTITION BY candidate_id
                                     ORDER BY event_date DESC, id DESC) AS position
        FROM effective
    )
    SELECT r.candidate_id, r.stage, r.event_date, c.full_name, c.segment
    FROM ranked AS r JOIN candidates AS c ON c.id = r.candidate_id
    WHERE r.position = 1
"""


async def current_stages(conn: aiosqlite.Connection, unit_ids: Collection[int]
                         ) -> list[dict[str, Any]]:
    """Each candidate of these units with its current stage, its date and segment."""
    if not unit_ids:
        return []
    marks = ",".join("?" * len(unit_ids))
    rows = await conn.execute_fetchall(_CURRENT.format(marks=marks), [*unit_ids, *unit_ids])
    return [dict(row) for row in rows]
