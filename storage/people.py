"""People, their chat identities and their roles in units."""

from __future__ import annotations

from typing import Any

import aiosqlite

ROLES = ("admin", "cell_secretary", "cell_deputy", "youth_secretary", "youth_deputy", "member")
CHANNELS = ("telegram", "zalo", "emulator")


class IdentityTakenError(ValueError):
    """The chat identity is already linked to a different person."""


async def add_person(conn: aiosqlite.Connection, full_name: str, phone: str | None = None) -> int:
    """Insert a person and return their id."""
    cursor = await conn.execute(
        "INSERT INTO people (full_name, phone) VALUES (?, ?)", (full_name.strip(), phone)
    )
    return cursor.lastrowid


async def get_person(conn: aiosqlite.Connection, person_id: int) -> dict[str, Any] | None:
    """Return one person as a dict, or None."""
    async with conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)) as cursor:
        row = await cursor.fetchone()
    return dict(row) if row else None


async def link_identity(
    conn: aiosqlite.Connection,
    person_id: int,
    channel: str,
    external_id: int | str,
    display_name: str | None = None,
    chat_id: int | str | None = None,
) -> None:
    """Link a chat identity to a person (refreshes names; never moves it to someone else)."""
    cursor = await conn.execute(
        """
        INSERT INTO identities (person_id, channel, external_id, chat_id, display_name)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (channel, external_id) DO UPDATE SET
            chat_id = coalesce(excluded.chat_id, chat_id),
            display_name = coalesce(excluded.display_name, display_name)
        WHERE person_id = excluded.person_id
        """,
        (person_id, channel, str(external_id), None if chat_id is None else str(chat_id),
         display_name),
    )
    if cursor.rowcount == 0:
        raise IdentityTakenError(f"{channel} identity {external_id} belongs to another person")


async def person_by_identity(
    conn: aiosqlite.Connection, channel: str, external_id: int | str
) -> dict[str, Any] | None:
    """Return the person a chat identity is linked to, or None."""
    async with conn.execute(
        """
        SELECT people.* FROM identities JOIN people ON people.id = identities.person_id
        WHERE identities.channel = ? AND identities.external_id = ?
        """,
        (channel, str(external_id)),
    ) as cursor:
        row = await cursor.fetchone()
    return dict(row) if row else None


async def grant_role(
    conn: aiosqlite.Connection,
    person_id: int,
    unit_id: int,
    role: str,
    granted_by: int | None = None,
) -> bool:
    """Grant a role in a unit; return False if the person already had it."""
    cursor = await conn.execute(
        "INSERT INTO roles (person_id, unit_id, role, granted_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (person_id, unit_id, role, granted_by),
    )
    return cursor.rowcount > 0


async def revoke_role(conn: aiosqlite.Connection, person_id: int, unit_id: int, role: str) -> bool:
    """Revoke a role; return False if the person did not have it."""
    cursor = await conn.execute(
        "DELETE FROM roles WHERE person_id = ? AND unit_id = ? AND role = ?",
        (person_id, unit_id, role),
    )
    return cursor.rowcount > 0


async def roles_of(conn: aiosqlite.Connection, person_id: int) -> list[dict[str, Any]]:
    """Return a person's roles with the unit's name and kind."""
    rows = await conn.execute_fetchall(
        """
        SELECT roles.unit_id, roles.role, roles.granted_at, roles.granted_by,
               units.name AS unit_name, units.kind AS unit_kind
        FROM roles JOIN units ON units.id = roles.unit_id
        WHERE roles.person_id = ?
        ORDER BY units.name, roles.role
        """,
        (person_id,),
    )
    return [dict(row) for row in rows]


async def move_identity(conn: aiosqlite.Connection, channel: str, external_id: int | str,
                        person_id: int) -> None:
    """Give a chat identity to another person (linking; the caller checked it may)."""
    await conn.execute(
        "UPDATE identities SET person_id = ? WHERE channel = ? AND external_id = ?",
        (person_id, channel, str(external_id)))


async def external_ids(conn: aiosqlite.Connection, person_id: int, channel: str) -> list[str]:
    """The person's chat ids on one channel."""
    rows = await conn.execute_fetchall(
        "SELECT external_id FROM identities WHERE person_id = ? AND channel = ?",
        (person_id, channel))
    return [row[0] for row in rows]
