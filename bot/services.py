"""The explicit bundle of dependencies handlers reach through `context.services`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import aiosqlite

from bot.config import Settings
from bot.i18n import I18n
from bot.knowledge.index import KnowledgeIndex
from bot.membership import Membership, role_key
from bot.pipeline import OptionView, Pipeline
from bot.quotas import period_choices
from bot.reminders import ACTION_LABELS, Schedule, actions, load_schedule
from bot.rules.book import RuleBook
from bot.rules.calendar import WorkingCalendar
from storage.access import Scope, scope_for
from storage.people import external_ids, person_by_identity


def utc_now() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(timezone.utc)


@dataclass
class Services:
    """What the core needs at run time; built once in `bot.app`, never a global."""

    settings: Settings
    db: aiosqlite.Connection
    i18n: I18n
    book: RuleBook
    calendar: WorkingCalendar
    pipeline: Pipeline
    knowledge: KnowledgeIndex
    membership: Membership
    draft_keys: set[tuple[int, int]] = field(default_factory=set)
    clock: Callable[[], datetime] = utc_now
    channel: str = "telegram"
    digest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one fan-out at a time

    async def options(self, provider: str, scope: Scope, answers: dict) -> list[OptionView]:
        """Dynamic choices for a form field, from the module that owns them."""
        if provider == "invite_units":
            units = await self.membership.invitable_units(scope)
            return [OptionView(str(u["id"]), u["name"]) for u in units]
        if provider == "held_roles":
            return [OptionView(role_key(r), f"{r['full_name']} — {r['unit_name']}",
                               role_suffix=r["role"])
                    for r in await self.membership.removable_roles(scope)]
        if provider == "quota_periods":
            today = self.clock().astimezone(self.settings.tz).date()
            return [OptionView(value, value, is_period=True)
                    for value in period_choices(today)]
        if provider == "invite_roles":
            return [OptionView(role, role, is_role=True)
                    for role in self.membership.grantable_roles(scope)]
        if provider == "reminder_actions":
            return [OptionView(action, ACTION_LABELS[action], is_msgid=True)
                    for action in await self.reminder_actions(scope)]
        return await self.pipeline.options(provider, scope, answers)

    async def reminder_actions(self, scope: Scope) -> list[str]:
        """What /nhacnho offers this user."""
        schedule, held = await load_schedule(self.db, scope.person_id) \
            if scope.person_id is not None else (Schedule(), [])
        is_admin = scope.admin or any(role == "admin" for _unit, role in scope.roles)
        return actions(schedule, bool(held), is_admin)

    async def scope_for_user(self, user_id: int) -> Scope:
        """What this chat user's roles cover (configured admins cover everything)."""
        return await scope_for(self.db, self.channel, str(user_id),
                               admin=await self.is_configured_admin(user_id))

    async def is_configured_admin(self, user_id: int) -> bool:
        """ADMIN_IDS are Telegram ids; on another app, a chat linked (/lienket) to one of
        those Telegram accounts is an administrator too."""
        admins = self.settings.admin_ids
        if self.channel == "telegram" or not admins:
            return user_id in admins
        person = await person_by_identity(self.db, self.channel, str(user_id))
        linked = await external_ids(self.db, person["id"], "telegram") if person else []
        return any(int(external) in admins for external in linked if external.isdigit())
