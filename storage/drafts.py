"""Drafts of chat forms: one half-filled form per (user, chat), kept across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import parse_utc, utc_text


@dataclass
class Draft:
    """The form a user is filling in one chat, the current step and the answers so far."""

    user_id: int
    chat_id: int
    form: str
    step: str
    answers: dict[str, Any]
    started_at: datetime
    updated_at: datetime


def _draft_from_row(row: aiosqlite.Row) -> Draft:
    """Build a Draft from a form_drafts row."""
    return Draft(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        form=row["form"],
        step=row["step"],
        answers=json.loads(row["answers"]),
        started_at=parse_utc(row["started_at"]),
        updated_at=parse_utc(row["updated_at"]),
    )


async def save_draft(conn: aiosqlite.Connection, draft: Draft) -> None:
    """Insert or replace the user's draft in that chat (the caller sets updated_at)."""
    if not isinstance(draft.answers, dict):
        raise TypeError("draft answers must be a dict")
    await conn.execute(
        """
        INSERT INTO form_drafts (user_id, chat_id, form, step, answers, started_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (user_id, chat_id) DO UPDATE SET
            form = excluded.form,
            step = excluded.step,
            answers = excluded.answers,
            started_at = excluded.started_at,
            updated_at = excluded.updated_at
        """,
        (
            int(draft.user_id),
            int(draft.chat_id),
            draft.form,
            draft.step,
            json.dumps(draft.answers, ensure_ascii=False, separators=(",", ":")),
            utc_text(draft.started_at),
            utc_text(draft.updated_at),
        ),
    )


async def load_draft(conn: aiosqlite.Connection, user_id: int, chat_id: int) -> Draft | None:
    """Return the user's draft in that chat, or None."""
    async with conn.execute(
        "SELECT * FROM form_drafts WHERE user_id = ? AND chat_id = ?", (user_id, chat_id)
    ) as cursor:
        row = await cursor.fetchone()
    return _draft_from_row(row) if row else None


async def delete_draft(conn: aiosqlite.Connection, user_id: int, chat_id: int) -> bool:
    """Delete the user's draft in that chat; return False if there was none."""
    cursor = await conn.execute(
        "DELETE FROM form_drafts WHERE user_id = ? AND chat_id = ?", (user_id, chat_id)
    )
    return cursor.rowcount > 0


async def draft_keys(conn: aiosqlite.Connection) -> set[tuple[int, int]]:
    """Return the (user_id, chat_id) pairs that have a draft."""
    rows = await conn.execute_fetchall("SELECT user_id, chat_id FROM form_drafts")
    return {(row[0], row[1]) for row in rows}
