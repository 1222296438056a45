"""Stable integers for Zalo's string ids, and update ids for Zalo's events."""

from __future__ import annotations

import aiosqlite

LOCAL_BASE = 2**53  # above every Telegram id, still a 64-bit SQLite integer


class ZaloIds:
    """Zalo id ↔ local integer, per kind ('peer': a user or chat; 'message'), cached."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db
        self._local: dict[tuple[str, str], int] = {}
        self._zalo: dict[int, str] = {}

    async def local(self, kind: str, zalo_id: str) -> int:
        """The local integer of a Zalo id (created on first sight)."""
        key = (kind, str(zalo_id))
        if key in self._local:
            return self._local[key]
        await self.db.execute("INSERT OR IGNORE INTO zalo_ids (kind, zalo_id) VALUES (?, ?)", key)
        rows = await self.db.execute_fetchall(
            "SELECT local_id FROM zalo_ids WHERE kind = ? AND zalo_id = ?", key)
        local = LOCAL_BASE + rows[0][0]
        self._local[key], self._zalo[local] = local, key[1]
        return local

    async def zalo(self, local: int | str) -> str | None:
        """The Zalo id behind a local integer (None if unknown)."""
        number = int(local)
        if number in self._zalo:
            return self._zalo[number]
        rows = await self.db.execute_fetchall(
            "SELECT kind, zalo_id FROM zalo_ids WHERE local_id = ?", (number - LOCAL_BASE,))
        if not rows:
            return None
        self._local[(rows[0][0], rows[0][1])] = number
        self._zalo[number] = rows[0][1]
        return rows[0][1]


async def new_update_id(db: aiosqlite.Connection, event_key: str, payload: str | None = None,
                        delivered: bool = True) -> int | None:
    """An update id for a new event (kept with its payload; not yet `delivered` to PTB
    when fetched by a poll that may be cancelled); None when the event was seen already."""
    cursor = await db.execute(
        "INSERT OR IGNORE INTO zalo_events (event_key, payload, delivered) VALUES (?, ?, ?)",
        (event_key, payload, int(delivered)))
    return cursor.lastrowid if cursor.rowcount == 1 else None


async def mark_delivered(db: aiosqlite.Connection, update_ids: list[int]) -> None:
    """These events were handed to PTB."""
    await db.executemany("UPDATE zalo_events SET delivered = 1 WHERE update_id = ?",
                         [(u,) for u in update_ids])


async def undelivered(db: aiosqlite.Connection) -> list[tuple[int, str]]:
    """(update id, event JSON) of events fetched but never handed to PTB, oldest first."""
    rows = await db.execute_fetchall(
        "SELECT update_id, payload FROM zalo_events WHERE delivered = 0 ORDER BY update_id")
    return [(row[0], row[1]) for row in rows]


async def store_file(db: aiosqlite.Connection, token: str, filename: str, mime: str,
                     data: bytes, now: str, expires_at: str) -> None:
    """Keep a file to be fetched by link until `expires_at` (UTC text); drop expired ones."""
    await db.execute("DELETE FROM zalo_files WHERE expires_at <= ?", (now,))
    await db.execute(
        "INSERT INTO zalo_files (token, filename, mime, data, expires_at) VALUES (?, ?, ?, ?, ?)",
        (token, filename, mime, data, expires_at))


async def get_file(db: aiosqlite.Connection, token: str, now: str
                   ) -> tuple[str, str, bytes] | None:
    """(filename, mime, data) of a file not yet expired, else None."""
    rows = await db.execute_fetchall(
        "SELECT filename, mime, data FROM zalo_files WHERE token = ? AND expires_at > ?",
        (token, now))
    return (rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None
