"""The explicit bundle of dependencies handlers reach through `context.services`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import aiosqlite

from bot.config import Settings
from bot.i18n import I18n
from bot.knowledge.index import KnowledgeIndex
from bot.pipeline import Pipeline
from bot.rules.book import RuleBook
from bot.rules.calendar import WorkingCalendar
from storage.access import Scope, scope_for


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
    draft_keys: set[tuple[int, int]] = field(default_factory=set)
    clock: Callable[[], datetime] = utc_now
    channel: str = "telegram"

    async def scope_for_user(self, user_id: int) -> Scope:
        """What this chat user's roles cover (configured admins cover everything)."""
        return await scope_for(self.db, self.channel, str(user_id),
                               admin=user_id in self.settings.admin_ids)
