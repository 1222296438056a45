"""Fixtures for storage tests: real SQLite files under tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.rules.book import load_rulebook
from bot.rules.evaluate import stage_ranking
from storage.current import sync_stage_ranking
from storage.db import open_database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a not yet created database file."""
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
async def conn(db_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A migrated connection knowing the rule book's stage ranking, closed after the test."""
    connection = await open_database(db_path)
    await sync_stage_ranking(connection, stage_ranking(load_rulebook()))
    try:
        yield connection
    finally:
        await connection.close()
