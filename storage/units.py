"""Organisational units: party committees, cells, youth bases and branches."""

from __future__ import annotations

import json
from collections.abc import Collection

from typing import Any

import aiosqlite

UNIT_KINDS = (
    "province_committee",
    "commune_committee",
    "grassroots_committee",
    "cell",
    "youth_base",
    "youth_branch",
)


async def add_unit(
    conn: aiosqlite.Connection,
    kind: str,
    name: str,
    parent_id: int | None = None,
    short_name: str | None = None,
    code: str | None = None,
) -> int:
    """Insert a unit and return its id."""
    cursor = await conn.execute(
        "INSERT INTO units (kind, name, parent_id, short_name, code) VALUES (?, ?, ?, ?, ?)",
        (kind, name.strip(), parent_id, short_name, code),
    )
    return cursor.lastrowid


async def get_unit(conn: aiosqlite.Connection, unit_id: int) -> dict[str, Any] | None:
    """Return one unit as a dict, or None."""
    async with conn.execute("SELECT * FROM units WHERE id = ?", (unit_id,)) as cursor:
        row = await cursor.fetchone()
    return dict(row) if row else None


async def children(conn: aiosqlite.Connection, unit_id: int) -> list[dict[str, Any]]:
    """Return the direct children of a unit, ordered by name."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM units WHERE parent_id = ? ORDER BY name, id", (unit_id,)
    )
    return [dict(row) for row in rows]


async def subtrees(conn: aiosqlite.Connection, unit_ids: Collection[int]) -> list[int]:
    """Return the ids of these units and all their descendants, sorted (unknown ids are
    left out)."""
    rows = await conn.execute_fetchall(
        """
        WITH RECURSIVE subtree (id) AS (
            SELECT id FROM units WHERE id IN (SELECT value FROM json_each(?))
            UNION
            SELECT units.id FROM units JOIN subtree ON units.parent_id = subtree.id
        )
        SELECT id FROM subtree ORDER BY id
        """,
        (json.dumps(sorted({int(u) for u in unit_ids})),),
    )
    return [row[0] for row in rows]


async def subtree_ids(conn: aiosqlite.Connection, unit_id: int) -> list[int]:
    """Return the ids of a unit and all its descendants (empty if it does not exist)."""
    return await subtrees(conn, [unit_id])


async def list_units(conn: aiosqlite.Connection, kind: str | None = None) -> list[dict[str, Any]]:
    """Return all units, or those of one kind, ordered by name."""
    if kind is None:
        rows = await conn.execute_fetchall("SELECT * FROM units ORDER BY name, id")
    else:
        rows = await conn.execute_fetchall(
            "SELECT * FROM units WHERE kind = ? ORDER BY name, id", (kind,)
        )
    return [dict(row) for row in rows]
