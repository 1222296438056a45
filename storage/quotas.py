"""Admission targets per unit and period (optionally per segment)."""

from __future__ import annotations

from datetime import date
from collections.abc import Collection
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


async def admitted_count(
    conn: aiosqlite.Connection,
    unit_ids: Collection[int],
    start: date,
    end: date,
    segment: str | None = None,
) -> int:
    """Candidates of these units (by cell, or by youth branch for Youth Union quotas) whose
    (uncorrected) ceremony date falls in [start, end]."""
    if not unit_ids:
        return 0
    marks = ",".join("?" * len(unit_ids))
    sql = f"""
        SELECT count(DISTINCT c.id) FROM candidates AS c
        JOIN stage_events AS e ON e.candidate_id = c.id
        WHERE (c.cell_id IN ({marks}) OR c.youth_branch_id IN ({marks}))
          AND e.stage = 'ceremony_held'
          AND e.event_date BETWEEN ? AND ?
          AND NOT EXISTS (SELECT 1 FROM stage_events AS s WHERE s.supersedes_id = e.id)
    """
    parameters: list[Any] = [*unit_ids, *unit_ids, start.isoformat(), end.isoformat()]
    if segment is not None:
        sql += " AND c.segment = ?"
        parameters.append(segment)
    rows = await conn.execute_fetchall(sql, parameters)
    return rows[0][0]


async def set_membership(
    conn: aiosqlite.Connection, unit_id: int, full_members: int,
    probationary_members: int = 0, as_of: date | None = None,
) -> None:
    """Record how many members a unit has (for the yearly admission norm)."""
    await conn.execute(
        "INSERT INTO unit_membership (unit_id, full_members, probationary_members, as_of) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (unit_id) DO UPDATE SET "
        "full_members = excluded.full_members, "
        "probationary_members = excluded.probationary_members, as_of = excluded.as_of",
        (unit_id, full_members, probationary_members, as_of.isoformat() if as_of else None),
    )


async def membership(conn: aiosqlite.Connection, unit_id: int) -> int | None:
    """Total members (full + probationary) of a unit, when known."""
    rows = await conn.execute_fetchall(
        "SELECT ifnull(full_members, 0) + ifnull(probationary_members, 0) "
        "FROM unit_membership WHERE unit_id = ?", (unit_id,))
    return rows[0][0] if rows else None
