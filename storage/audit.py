"""Audit log of who did what to which record."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import aiosqlite


async def record(
    conn: aiosqlite.Connection,
    person_id: int | None,
    action: str,
    subject_type: str | None = None,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append an audit entry and return its id (non-JSON values in detail become str)."""
    detail_json = None if detail is None else json.dumps(detail, ensure_ascii=False, default=str)
    cursor = await conn.execute(
        "INSERT INTO audit_log (person_id, action, subject_type, subject_id, detail) "
        "VALUES (?, ?, ?, ?, ?)",
        (person_id, action, subject_type, subject_id, detail_json),
    )
    return cursor.lastrowid


async def recent(conn: aiosqlite.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """Return the newest entries first, with detail decoded."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
    )
    entries = [dict(row) for row in rows]
    for entry in entries:
        if entry["detail"] is not None:
            entry["detail"] = json.loads(entry["detail"])
    return entries


async def recent_in_units(conn: aiosqlite.Connection, unit_ids: Collection[int] | None,
                          limit: int = 20) -> list[dict[str, Any]]:
    """Newest audit rows about candidates or units in `unit_ids` (None: every row), with
    who did it and the subject's name."""
    where, parameters = "", []
    if unit_ids is not None:
        marks = ",".join("?" * len(unit_ids)) or "NULL"
        where = (f"WHERE c.cell_id IN ({marks}) OR c.youth_branch_id IN ({marks}) "
                 f"OR u.id IN ({marks})")
        parameters = [*unit_ids] * 3
    rows = await conn.execute_fetchall(
        f"""
        SELECT a.at, a.action, p.full_name AS who, coalesce(c.full_name, u.name) AS subject
        FROM audit_log AS a
        LEFT JOIN people AS p ON p.id = a.person_id
        LEFT JOIN candidates AS c ON a.subject_type = 'candidate' AND c.id = a.subject_id
        LEFT JOIN units AS u ON a.subject_type = 'unit' AND u.id = a.subject_id
        {where}
        ORDER BY a.id DESC LIMIT ?
        """,
        (*parameters, limit),
    )
    return [dict(row) for row in rows]
