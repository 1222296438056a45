"""Fixtures for storage tests: real SQLite files under tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from storage.db import open_database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a not yet created database file."""
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
async def conn(db_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A migrated connection, closed after the test."""
    connection = await open_database(db_path)
    try:
        yield connection
    finally:
        await connection.close()
