"""The explicit bundle of dependencies handlers reach through `context.services`."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.config import Settings
from bot.i18n import I18n


@dataclass
class Services:
    """What the core needs at run time; built once in `bot.app`, never a global."""

    settings: Settings
    db: aiosqlite.Connection
    i18n: I18n
