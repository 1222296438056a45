"""Who belongs where: invitation codes, accepting them, and the roles a person holds.

A secretary, deputy or admin invites someone to a unit their role covers; the code is
single-use and expires. Roles are read on every request, so a removed role takes effect at
once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import aiosqlite

from storage import audit, invites, people
from storage.access import Scope, units_in_scope
from storage.db import transaction
from storage.units import UNIT_KINDS, get_unit, list_units, subtrees

ROLES = ("member", "cell_deputy", "cell_secretary", "youth_deputy", "youth_secretary", "admin")
MANAGING_ROLES = frozenset(ROLES) - {"member"}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
CODE_SHAPE = re.compile(r"^([A-Z2-9]{4})-?([A-Z2-9]{4})$")

Outcome = Literal["joined", "unknown", "used", "expired", "linked", "taken"]


@dataclass(frozen=True)
class Acceptance:
    """What happened to a code: joined (with the unit and role) or why not."""

    outcome: Outcome
    unit_name: str = ""
    role: str = ""
    person_name: str = ""  # linked: whose roles this chat now shares


class _Refused(Exception):
    """Undo the transaction and report `outcome`."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome)
        self.outcome = outcome


LINK_VALID_FOR = timedelta(hours=24)


def _unusable(used: bool, expires_at: str, now: datetime) -> Outcome | None:
    """Why a code (invitation or link) cannot be used now, or None."""
    if used:
        return "used"
    if datetime.fromisoformat(expires_at) <= now:
        return "expired"
    return None


def new_code() -> str:
    """A fresh code like `K7M2-QX9P`."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def as_code(text: str) -> str | None:
    """The code in what a user typed (`k7m2 qx9p`, `K7M2QX9P`...), or None."""
    match = CODE_SHAPE.match(re.sub(r"\s+", "", text.strip().upper()))
    return f"{match.group(1)}-{match.group(2)}" if match else None


@dataclass
class Membership:
    """Invitations and roles over one database."""

    db: aiosqlite.Connection
    clock: Callable[[], datetime]
    invite_days: int = 7

    async def invitable_units(self, scope: Scope) -> list[dict[str, Any]]:
        """Units the asker may invite people to: under a managing role (admins: all)."""
        if scope.admin:
            return await list_units(self.db)
        ids = await subtrees(self.db, [unit for unit, role in scope.roles
                                       if role in MANAGING_ROLES])
        return await units_in_scope(self.db, Scope(scope.person_id, scope.roles,
                                                   frozenset(ids)), UNIT_KINDS)

    @staticmethod
    def grantable_roles(scope: Scope) -> tuple[str, ...]:
        """Roles the asker may hand out: admins all, others all but admin."""
        is_admin = scope.admin or any(role == "admin" for _unit, role in scope.roles)
        return ROLES if is_admin else tuple(r for r in ROLES if r != "admin")

    async def create_invite(self, scope: Scope, unit_id: int, role: str
                            ) -> tuple[str, datetime]:
        """A new code for `role` on `unit_id`, if the asker may hand it out."""
        allowed = {u["id"] for u in await self.invitable_units(scope)}
        if unit_id not in allowed or role not in self.grantable_roles(scope):
            raise PermissionError(unit_id)
        now = self.clock()
        code, expires = new_code(), now + timedelta(days=self.invite_days)
        async with transaction(self.db):
            await invites.create_invite(self.db, code, unit_id, role, scope.person_id, now,
                                        expires)
            await audit.record(self.db, scope.person_id, "invite.create", "unit", unit_id,
                               {"role": role})
        return code, expires

    async def create_link(self, person_id: int) -> tuple[str, datetime]:
        """A code that links another chat identity (the other channel) to this person."""
        now = self.clock()
        code, expires = new_code(), now + LINK_VALID_FOR
        await invites.create_link_code(self.db, code, person_id, now, expires)
        return code, expires

    async def link(self, link: dict[str, Any], channel: str, external_id: str,
                   display_name: str) -> Acceptance:
        """Use a link code: this chat identity now belongs to the code's person. An
        identity already used by someone else is moved only if that someone has no role."""
        now = self.clock()
        refusal = _unusable(link["used_at"] is not None, link["expires_at"], now)
        if refusal:
            return Acceptance(refusal)
        owner = await people.person_by_identity(self.db, channel, external_id)
        async with transaction(self.db):
            if owner is not None and owner["id"] != link["person_id"]:
                if await people.roles_of(self.db, owner["id"]):
                    return Acceptance("taken")
                await people.move_identity(self.db, channel, external_id, link["person_id"])
            elif owner is None:
                await people.link_identity(self.db, link["person_id"], channel, external_id,
                                           display_name=display_name)
            if not await invites.use_link_code(self.db, link["code"], now):
                raise _Refused("used")
            await audit.record(self.db, link["person_id"], "identity.link", "person",
                               link["person_id"], {"channel": channel})
        person = await people.get_person(self.db, link["person_id"])
        return Acceptance("linked", person_name=person["full_name"])

    async def accept(self, code: str, channel: str, external_id: str, display_name: str
                     ) -> Acceptance:
        """Use a code: a link code links this chat to its person; an invitation gives the
        role to the person (created on first contact)."""
        link = await invites.get_link_code(self.db, code)
        if link is not None:
            try:
                return await self.link(link, channel, external_id, display_name)
            except _Refused as refused:
                return Acceptance(refused.outcome)
        invite = await invites.get_invite(self.db, code)
        if invite is None:
            return Acceptance("unknown")
        now = self.clock()
        refusal = _unusable(invite["used_by"] is not None, invite["expires_at"], now)
        if refusal:
            return Acceptance(refusal)
        async with transaction(self.db):
            person = await people.person_by_identity(self.db, channel, external_id)
            person_id = person["id"] if person else await people.add_person(self.db,
                                                                             display_name)
            if person is None:
                await people.link_identity(self.db, person_id, channel, external_id,
                                           display_name=display_name)
            if not await invites.use_invite(self.db, code, person_id, now):
                return Acceptance("used")
            await people.grant_role(self.db, person_id, invite["unit_id"], invite["role"],
                                    granted_by=invite["created_by"])
            await audit.record(self.db, person_id, "invite.accept", "unit", invite["unit_id"],
                               {"role": invite["role"]})
        unit = await get_unit(self.db, invite["unit_id"])
        return Acceptance("joined", unit["name"], invite["role"])

    async def removable_roles(self, scope: Scope) -> list[dict[str, Any]]:
        """Roles of other people on units the asker manages (never the asker's own)."""
        units = {u["id"] for u in await self.invitable_units(scope)}
        if not units:
            return []
        marks = ",".join("?" * len(units))
        rows = await self.db.execute_fetchall(
            f"SELECT r.person_id, r.unit_id, r.role, p.full_name, u.name AS unit_name "
            f"FROM roles AS r JOIN people AS p ON p.id = r.person_id "
            f"JOIN units AS u ON u.id = r.unit_id WHERE r.unit_id IN ({marks}) "
            f"AND r.person_id IS NOT ? ORDER BY u.name, p.full_name, r.role",
            (*units, scope.person_id))
        return [dict(row) for row in rows if row["role"] in self.grantable_roles(scope)]

    async def remove_role(self, scope: Scope, key: str) -> dict[str, Any]:
        """Take away one role (`person:unit:role`), if the asker could have granted it."""
        chosen = next((r for r in await self.removable_roles(scope)
                       if role_key(r) == key), None)
        if chosen is None:
            raise PermissionError(key)
        async with transaction(self.db):
            await people.revoke_role(self.db, chosen["person_id"], chosen["unit_id"],
                                     chosen["role"])
            await audit.record(self.db, scope.person_id, "role.revoke", "unit",
                               chosen["unit_id"], {"person_id": chosen["person_id"],
                                                   "role": chosen["role"]})
        return chosen


def role_key(row: dict[str, Any]) -> str:
    """A role held, as one form value: `person:unit:role`."""
    return f"{row['person_id']}:{row['unit_id']}:{row['role']}"

