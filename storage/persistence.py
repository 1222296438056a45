"""python-telegram-bot persistence backed by the app's SQLite database.

Design: the persistence owns a separate aiosqlite connection to the same
database file (WAL lets it write beside the app's connection). It is opened
lazily on first use, closed by :meth:`SQLitePersistence.flush` (PTB calls it at
shutdown) and reopened if the persistence is used again. It deliberately does
not share the app's connection: its autocommit writes would otherwise land in
whatever transaction a handler happens to have open.

All data is stored as JSON, so user/chat/bot data, callback data and
conversation states must be JSON-serialisable (str, int, float, bool, None,
lists, dicts with str keys). After a round trip, dict keys are strings and
tuples are lists. A value that cannot be serialised makes the update raise
``TypeError``; PTB hands that to the application's error handlers.

Writes go straight to SQLite (autocommit, one statement each), so ``flush`` has
nothing to write and the ``refresh_*`` methods do nothing: the in-memory data
of the Application is authoritative.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import aiosqlite
from telegram.ext import BasePersistence, PersistenceInput

from storage.db import open_database

ConnectionFactory = Callable[[], Awaitable[aiosqlite.Connection]]
# Same shapes as PTB's private telegram.ext._utils.types aliases.
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


def _dumps(value: object) -> str:
    """Serialise to compact JSON, keeping Vietnamese text readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Store PTB user/chat/bot/callback data and conversations in SQLite as JSON.

    ``database`` is either the path of the database file (opened with
    :func:`storage.db.open_database`, so the schema is migrated) or an async
    zero-argument factory returning an open, migrated connection that this
    object then owns and closes in :meth:`flush`.
    """

    __slots__ = ("_conn", "_lock", "_source")

    def __init__(
        self,
        database: str | Path | ConnectionFactory,
        store_data: PersistenceInput | None = None,
        update_interval: float = 5,
    ) -> None:
        super().__init__(store_data=store_data, update_interval=update_interval)
        self._source = database
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def _connection(self) -> aiosqlite.Connection:
        """Return the open connection, opening it first if needed (hold the lock)."""
        if self._conn is None:
            if isinstance(self._source, (str, Path)):
                self._conn = await open_database(self._source)
            else:
                self._conn = await self._source()
        return self._conn

    async def _fetchall(self, sql: str, parameters: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Run a query and return all rows."""
        async with self._lock:
            conn = await self._connection()
            async with conn.execute(sql, tuple(parameters)) as cursor:
                return list(await cursor.fetchall())

    async def _write(self, sql: str, parameters: Iterable[Any] = ()) -> None:
        """Run one statement; autocommit makes it durable at once."""
        async with self._lock:
            conn = await self._connection()
            await conn.execute(sql, tuple(parameters))

    async def _load_single(self, table: str) -> Any:
        """Return the decoded JSON of the single row of ``table``, or None."""
        rows = await self._fetchall(f"SELECT data FROM {table} WHERE id = 1")  # noqa: S608
        return json.loads(rows[0][0]) if rows else None

    async def _store_single(self, table: str, data: object) -> None:
        """Replace the single row of ``table`` with ``data`` as JSON."""
        await self._write(
            f"INSERT INTO {table} (id, data) VALUES (1, ?) "  # noqa: S608
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            (_dumps(data),),
        )

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        """Return all stored user_data keyed by user id."""
        rows = await self._fetchall("SELECT user_id, data FROM ptb_user_data")
        return {int(user_id): json.loads(data) for user_id, data in rows}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        """Return all stored chat_data keyed by chat id."""
        rows = await self._fetchall("SELECT chat_id, data FROM ptb_chat_data")
        return {int(chat_id): json.loads(data) for chat_id, data in rows}

    async def get_bot_data(self) -> dict[Any, Any]:
        """Return the stored bot_data, or an empty dict."""
        data = await self._load_single("ptb_bot_data")
        return {} if data is None else data

    async def get_callback_data(self) -> CDCData | None:
        """Return the stored callback data cache contents, or None."""
        data = await self._load_single("ptb_callback_data")
        if data is None:
            return None
        keyboards, queries = data
        return [tuple(keyboard) for keyboard in keyboards], queries

    async def get_conversations(self, name: str) -> ConversationDict:
        """Return the stored states of conversation handler ``name``."""
        rows = await self._fetchall(
            "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {tuple(json.loads(key)): json.loads(state) for key, state in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store a conversation state; None (conversation ended) deletes it."""
        key_json = _dumps(list(key))
        if new_state is None:
            await self._write(
                "DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, key_json)
            )
            return
        await self._write(
            "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?) "
            "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, key_json, _dumps(new_state)),
        )

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        """Store one user's user_data."""
        await self._write(
            "INSERT INTO ptb_user_data (user_id, data) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
            (user_id, _dumps(data)),
        )

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """Store one chat's chat_data."""
        await self._write(
            "INSERT INTO ptb_chat_data (chat_id, data) VALUES (?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET data = excluded.data",
            (chat_id, _dumps(data)),
        )

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """Store bot_data."""
        await self._store_single("ptb_bot_data", data)

    async def update_callback_data(self, data: CDCData) -> None:
        """Store the callback data cache contents."""
        await self._store_single("ptb_callback_data", data)

    async def drop_chat_data(self, chat_id: int) -> None:
        """Delete one chat's chat_data."""
        await self._write("DELETE FROM ptb_chat_data WHERE chat_id = ?", (chat_id,))

    async def drop_user_data(self, user_id: int) -> None:
        """Delete one user's user_data."""
        await self._write("DELETE FROM ptb_user_data WHERE user_id = ?", (user_id,))

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Do nothing: the Application's in-memory user_data is authoritative."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Do nothing: the Application's in-memory chat_data is authoritative."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Do nothing: the Application's in-memory bot_data is authoritative."""

    async def flush(self) -> None:
        """Close the connection (writes are already committed); reopens on next use."""
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()
