"""Audit log of who did what to which record."""

from __future__ import annotations

import json
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
