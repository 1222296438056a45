"""Where the candidates of a set of units stand, counted in SQL for unit reports.

A candidate's current stage is the one kept on its row (see storage/current.py: the rule
book's definition, maintained by a trigger on every new stage event). A candidate belongs
to the units when its cell or its youth branch is one of them.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date
from typing import Any

import aiosqlite

_MEMBER = """
    (cell_id IN (SELECT value FROM json_each(:units))
     OR youth_branch_id IN (SELECT value FROM json_each(:units)))
"""
_IN_UNITS = f"current_stage IS NOT NULL AND {_MEMBER}"
_OPEN = "current_stage NOT IN (SELECT value FROM json_each(:finished))"


def _params(unit_ids: Collection[int], finished: Collection[str] = (), **more: Any
            ) -> dict[str, Any]:
    return {"units": json.dumps(sorted({int(u) for u in unit_ids})),
            "finished": json.dumps(sorted(finished)), **more}


async def stage_counts(conn: aiosqlite.Connection, unit_ids: Collection[int]
                       ) -> dict[str, int]:
    """How many candidates of these units stand at each stage."""
    rows = await conn.execute_fetchall(
        f"SELECT current_stage, count(*) FROM candidates WHERE {_IN_UNITS} "
        "GROUP BY current_stage", _params(unit_ids))
    return {row[0]: row[1] for row in rows}


async def segment_counts(conn: aiosqlite.Connection, unit_ids: Collection[int],
                         finished: Collection[str]) -> dict[str | None, int]:
    """Candidates still in the pipeline per source segment (None: not recorded)."""
    rows = await conn.execute_fetchall(
        f"SELECT segment, count(*) FROM candidates WHERE {_IN_UNITS} AND {_OPEN} "
        "GROUP BY segment ORDER BY count(*) DESC, segment", _params(unit_ids, finished))
    return {row[0]: row[1] for row in rows}


async def stalled(conn: aiosqlite.Connection, unit_ids: Collection[int],
                  finished: Collection[str], before: date, limit: int
                  ) -> tuple[int, list[dict[str, Any]]]:
    """Candidates still in the pipeline whose last step is older than `before`: how many,
    and the `limit` who waited longest (id, full_name, stage, event_date)."""
    params = _params(unit_ids, finished, before=before.isoformat(), limit=limit)
    where = f"{_IN_UNITS} AND {_OPEN} AND current_stage_date < :before"
    [(count,)] = await conn.execute_fetchall(
        f"SELECT count(*) FROM candidates WHERE {where}", params)
    rows = await conn.execute_fetchall(
        f"""SELECT id, full_name, current_stage AS stage, current_stage_date AS event_date
            FROM candidates WHERE {where}
            ORDER BY current_stage_date, id LIMIT :limit""", params)
    return count, [dict(row) for row in rows]


async def candidates_with_steps(conn: aiosqlite.Connection, unit_ids: Collection[int] | None,
                                finished: Collection[str] | None = None
                                ) -> tuple[list[dict[str, Any]], dict[int, dict[str, str]]]:
    """Candidates of these units (None: all) by cell then name, and for each candidate the
    latest effective (not superseded) date of every step it has. With `finished`, only the
    candidates still in the pipeline (current stage known and not one of those)."""
    member = "TRUE" if unit_ids is None else _MEMBER
    if finished is not None:
        member = f"({member}) AND current_stage IS NOT NULL AND {_OPEN}"
    params = _params(unit_ids or (), finished or ())
    rows = await conn.execute_fetchall(
        f"SELECT * FROM candidates WHERE {member} ORDER BY cell_id, name_folded, id", params)
    events = await conn.execute_fetchall(
        f"""SELECT e.candidate_id, e.stage, max(e.event_date) AS event_date
            FROM stage_events AS e JOIN candidates AS c ON c.id = e.candidate_id
            WHERE {member}
              AND NOT EXISTS (SELECT 1 FROM stage_events AS s WHERE s.supersedes_id = e.id)
            GROUP BY e.candidate_id, e.stage""", params)
    steps: dict[int, dict[str, str]] = {}
    for event in events:
        steps.setdefault(event["candidate_id"], {})[event["stage"]] = event["event_date"]
    return [dict(row) for row in rows], steps
