"""Admission targets per unit and period (optionally per segment)."""

from __future__ import annotations

from datetime import date
from typing import Any

import aiosqlite


async def set_quota(
    conn: aiosqlite.Connection,
    unit_id: int,
    period_kind: str,
    period_start: date,
    period_end: date,
    target: int,
    segment: str | None = None,
) -> int:
    """Create or replace the target for a unit, period and segment; return its id."""
    start, end = period_start.isoformat(), period_end.isoformat()
    await conn.execute(
        """
        INSERT INTO quotas (unit_id, period_kind, period_start, period_end, segment, target)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (unit_id, period_kind, period_start, ifnull(segment, ''))
        DO UPDATE SET period_end = excluded.period_end, target = excluded.target
        """,
        (unit_id, period_kind, start, end, segment, target),
    )
    async with conn.execute(
        "SELECT id FROM quotas WHERE unit_id = ? AND period_kind = ? AND period_start = ? "
        "AND ifnull(segment, '') = ifnull(?, '')",
        (unit_id, period_kind, start, segment),
    ) as cursor:
        row = await cursor.fetchone()
    return row[0]


async def quotas_of(
    conn: aiosqlite.Connection, unit_id: int, on: date | None = None
) -> list[dict[str, Any]]:
    """Return a unit's quotas, or only those whose period contains ``on``."""
    sql = "SELECT * FROM quotas WHERE unit_id = ?"
    parameters: list[Any] = [unit_id]
    if on is not None:
        sql += " AND period_start <= ? AND period_end >= ?"
        parameters += [on.isoformat(), on.isoformat()]
    rows = await conn.execute_fetchall(sql + " ORDER BY period_start, segment", parameters)
    return [dict(row) for row in rows]
