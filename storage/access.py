"""Who may see what: a chat user's roles and the units under them."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.people import person_by_identity
from storage.units import subtrees


@dataclass(frozen=True)
class Scope:
    """A user's person id, roles as (unit_id, role), and every unit those roles cover.

    ``admin`` is True for configured administrators, whose ``unit_ids`` are all units.
    """

    person_id: int | None
    roles: tuple[tuple[int, str], ...]
    unit_ids: frozenset[int]
    admin: bool = False


async def _roles(conn: aiosqlite.Connection, person_id: int) -> tuple[tuple[int, str], ...]:
    """Return a person's roles as sorted (unit_id, role) pairs."""
    rows = await conn.execute_fetchall(
        "SELECT unit_id, role FROM roles WHERE person_id = ? ORDER BY unit_id, role",
        (person_id,),
    )
    return tuple((row[0], row[1]) for row in rows)


async def _all_unit_ids(conn: aiosqlite.Connection) -> frozenset[int]:
    """Return the ids of every unit."""
    rows = await conn.execute_fetchall("SELECT id FROM units")
    return frozenset(row[0] for row in rows)


async def scope_for(
    conn: aiosqlite.Connection, channel: str, external_id: int | str, admin: bool = False
) -> Scope:
    """Return the scope of a chat identity; admins see all units, strangers nothing."""
    person = await person_by_identity(conn, channel, external_id)
    if person is None and not admin:
        return Scope(person_id=None, roles=(), unit_ids=frozenset())
    person_id = person["id"] if person else None
    roles = await _roles(conn, person_id) if person_id is not None else ()
    if admin:
        unit_ids = await _all_unit_ids(conn)
    elif person_id is not None:
        unit_ids = frozenset(await subtrees(conn, [unit for unit, _role in roles]))
    else:
        unit_ids = frozenset()
    return Scope(person_id=person_id, roles=roles, unit_ids=unit_ids, admin=admin)


async def units_in_scope(
    conn: aiosqlite.Connection, scope: Scope, kinds: Collection[str]
) -> list[dict[str, Any]]:
    """Return the scope's units of the given kinds (id, name, kind, parent_id) by name."""
    if not scope.unit_ids or not kinds:
        return []
    rows = await conn.execute_fetchall(
        """
        SELECT id, name, kind, parent_id FROM units
        WHERE id IN (SELECT value FROM json_each(?))
          AND kind IN (SELECT value FROM json_each(?))
        ORDER BY name, id
        """,
        (json.dumps(sorted(scope.unit_ids)), json.dumps(sorted(set(kinds)))),
    )
    return [dict(row) for row in rows]
