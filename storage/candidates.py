"""Candidates for Party admission and their append-only stage history.

Candidates with stage events cannot be deleted (the schema refuses it); they
leave the pipeline through a terminal stage instead. A wrong event is corrected
by adding a new event with ``supersedes_id`` pointing at it.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any

import aiosqlite

SEGMENTS = (
    "thpt",
    "university",
    "non_state_enterprise",
    "residential",
    "state_agency",
    "armed_forces",
    "other",
)
GENDERS = ("male", "female", "other")


def fold_name(text: str) -> str:
    """Fold a name for search: lowercase, no diacritics, đ -> d, single spaces."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("đ", "d").replace("Đ", "D").lower().split())


def clean_name(text: str) -> str:
    """Normalise a typed name to NFC with single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _iso_date(value: date | None) -> str | None:
    """Return an ISO date string; refuses datetimes to avoid silent truncation."""
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a datetime.date, got {type(value).__name__}")
    return value.isoformat()


async def add_candidate(
    conn: aiosqlite.Connection,
    full_name: str,
    cell_id: int,
    *,
    birth_date: date | None = None,
    gender: str | None = None,
    youth_branch_id: int | None = None,
    is_doan_vien: bool = False,
    segment: str | None = None,
    helper_name: str | None = None,
    note: str | None = None,
    created_by: int | None = None,
) -> int:
    """Insert a candidate and return their id."""
    name = clean_name(full_name)
    cursor = await conn.execute(
        """
        INSERT INTO candidates (full_name, name_folded, birth_date, gender, cell_id,
            youth_branch_id, is_doan_vien, segment, helper_name, note, created_by)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (name, fold_name(name), _iso_date(birth_date), gender, cell_id, youth_branch_id,
         int(bool(is_doan_vien)), segment, helper_name, note, created_by),
    )
    return cursor.lastrowid


async def get_candidate(conn: aiosqlite.Connection, candidate_id: int) -> dict[str, Any] | None:
    """Return one candidate as a dict, or None."""
    async with conn.execute("SELECT * FROM candidates WHERE id = ?", (candidate_id,)) as cursor:
        row = await cursor.fetchone()
    return dict(row) if row else None


async def add_stage_event(
    conn: aiosqlite.Connection,
    candidate_id: int,
    stage: str,
    event_date: date,
    note: str | None = None,
    recorded_by: int | None = None,
    supersedes_id: int | None = None,
) -> int:
    """Append a stage event and return its id."""
    cursor = await conn.execute(
        """
        INSERT INTO stage_events (candidate_id, stage, event_date, note, recorded_by,
            supersedes_id)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
        (candidate_id, stage, _iso_date(event_date), note, recorded_by, supersedes_id),
    )
    return cursor.lastrowid


async def events_of(conn: aiosqlite.Connection, candidate_id: int) -> list[dict[str, Any]]:
    """Return a candidate's events oldest first, each with ``superseded_by`` (id or None)."""
    rows = await conn.execute_fetchall(
        """
        SELECT e.*,
               (SELECT min(s.id) FROM stage_events AS s WHERE s.supersedes_id = e.id)
                   AS superseded_by
        FROM stage_events AS e
        WHERE e.candidate_id = ?
        ORDER BY e.event_date, e.id
        """,
        (candidate_id,),
    )
    return [dict(row) for row in rows]


async def current_event(conn: aiosqlite.Connection, candidate_id: int) -> dict[str, Any] | None:
    """Return the latest event by (event_date, id) that was not superseded, or None."""
    async with conn.execute(
        """
        SELECT * FROM stage_events AS e
        WHERE e.candidate_id = ?
          AND NOT EXISTS (SELECT 1 FROM stage_events AS s WHERE s.supersedes_id = e.id)
        ORDER BY e.event_date DESC, e.id DESC
        LIMIT 1
        """,
        (candidate_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return dict(row) if row else None


async def current_stage(conn: aiosqlite.Connection, candidate_id: int) -> str | None:
    """Return the stage of the candidate's current event, or None."""
    event = await current_event(conn, candidate_id)
    return event["stage"] if event else None
