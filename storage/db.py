"""Opening, migrating, transactions and backups of the SQLite database.

Connections are opened in autocommit mode (``isolation_level=None``): every
statement commits on its own unless it runs inside :func:`transaction`. Group
writes that must succeed together with ``async with transaction(conn): ...``.

One aiosqlite connection serialises its statements, but it does not isolate
coroutines from each other: while one coroutine holds a transaction open across
an ``await``, statements from other coroutines on the same connection join it.
Keep transactions short and free of network calls.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import datetime, timezone
from pathlib import Path

import aiosqlite

from storage.migrations import migrate

_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_text(value: datetime) -> str:
    """Return an aware datetime as UTC ISO-8601 text with microseconds and 'Z'."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise TypeError("expected a timezone-aware datetime")
    return value.astimezone(timezone.utc).strftime(_TIMESTAMP_FORMAT)


def parse_utc(text: str) -> datetime:
    """Parse stored UTC text (with or without fractional seconds) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


_PRAGMAS = (
    "PRAGMA journal_mode = WAL",  # answers 'memory' for ":memory:", which is fine
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA synchronous = NORMAL",
)


def _is_file_path(path: str | Path) -> bool:
    """Whether ``path`` names a plain file (not ':memory:' or a 'file:' URI)."""
    text = str(path)
    return text != ":memory:" and text != "" and not text.startswith("file:")


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open a connection with Row rows, WAL, foreign keys and a busy timeout."""
    if _is_file_path(path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


async def open_database(path: str | Path) -> aiosqlite.Connection:
    """Open the database and apply pending migrations (call once at start)."""
    conn = await connect(path)
    try:
        await migrate(conn)
    except BaseException:
        await conn.close()
        raise
    return conn


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """Commit on success, roll back on error; nests with savepoints."""
    if conn.in_transaction:
        await conn.execute("SAVEPOINT nested")
        try:
            yield conn
        except BaseException:
            await conn.execute("ROLLBACK TO nested")
            await conn.execute("RELEASE nested")
            raise
        await conn.execute("RELEASE nested")
        return
    await conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")


def backup(
    src_path: str | Path, dest_path: str | Path, *, now: datetime | None = None
) -> Path:
    """Copy the database with SQLite's online backup API; return the copy's path.

    Safe while the bot is running. If ``dest_path`` is a directory (an existing one, or a
    path without a file extension such as ``backups``, created as needed) the copy is named ``<stem>-YYYYmmdd-HHMMSS.sqlite3`` (local time). The copy is
    written next to its destination under a temporary name, switched to
    rollback-journal mode (a single self-contained file) and then renamed.
    Blocking: call it via ``asyncio.to_thread`` from async code.
    """
    src = Path(src_path)
    if not src.is_file():
        raise FileNotFoundError(f"no database at {src}")
    dest = Path(dest_path)
    if dest.is_dir() or not dest.suffix:
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        dest = dest / f"{src.stem}-{stamp}.sqlite3"
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(src, timeout=5)) as source, closing(
            sqlite3.connect(partial)
        ) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest
