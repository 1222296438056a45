"""Invitation codes: created by a secretary or admin, used once before they expire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite


async def create_invite(conn: aiosqlite.Connection, code: str, unit_id: int, role: str,
                        created_by: int | None, created_at: datetime, expires_at: datetime
                        ) -> None:
    """Store a new invitation (times as aware UTC datetimes)."""
    await conn.execute(
        "INSERT INTO invites (code, unit_id, role, created_by, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (code, unit_id, role, created_by, created_at.isoformat(), expires_at.isoformat()))


async def get_invite(conn: aiosqlite.Connection, code: str) -> dict[str, Any] | None:
    """One invitation by its code, or None."""
    rows = await conn.execute_fetchall("SELECT * FROM invites WHERE code = ?", (code,))
    return dict(rows[0]) if rows else None


async def use_invite(conn: aiosqlite.Connection, code: str, person_id: int, now: datetime
                     ) -> bool:
    """Mark the invitation used by `person_id`; False if used already or expired."""
    cursor = await conn.execute(
        "UPDATE invites SET used_by = ?, used_at = ? "
        "WHERE code = ? AND used_by IS NULL AND expires_at > ?",
        (person_id, now.isoformat(), code, now.isoformat()))
    return cursor.rowcount == 1


async def create_link_code(conn: aiosqlite.Connection, code: str, person_id: int,
                           created_at: datetime, expires_at: datetime) -> None:
    """Store a code that links another chat identity to `person_id`."""
    await conn.execute(
        "INSERT INTO link_codes (code, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (code, person_id, created_at.isoformat(), expires_at.isoformat()))


async def get_link_code(conn: aiosqlite.Connection, code: str) -> dict[str, Any] | None:
    """One link code, or None."""
    rows = await conn.execute_fetchall("SELECT * FROM link_codes WHERE code = ?", (code,))
    return dict(rows[0]) if rows else None


async def use_link_code(conn: aiosqlite.Connection, code: str, now: datetime) -> bool:
    """Mark the link code used; False if used already or expired."""
    cursor = await conn.execute(
        "UPDATE link_codes SET used_at = ? WHERE code = ? AND used_at IS NULL "
        "AND expires_at > ?", (now.isoformat(), code, now.isoformat()))
    return cursor.rowcount == 1
