"""Candidates for Party admission and their append-only stage history.

Candidates with stage events cannot be deleted (the schema refuses it); they
leave the pipeline through a terminal stage instead. A wrong event is corrected
by adding a new event with ``supersedes_id`` pointing at it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

import aiosqlite

from bot.text import clean, fold

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
    """Fold a name for search (same as :func:`bot.text.fold`)."""
    return fold(text)


def clean_name(text: str) -> str:
    """Normalise a typed name to NFC with single spaces (same as :func:`bot.text.clean`)."""
    return clean(text)


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


_UPDATABLE = ("full_name", "birth_date", "gender", "cell_id", "youth_branch_id",
               "is_doan_vien", "segment", "helper_name", "note")


async def update_candidate(conn: aiosqlite.Connection, candidate_id: int,
                           fields: dict[str, Any]) -> None:
    """Change some of a candidate's own fields (dates as ISO text); history is untouched."""
    unknown = set(fields) - set(_UPDATABLE)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    values = dict(fields)
    if "full_name" in values:
        values["full_name"] = clean_name(values["full_name"])
        values["name_folded"] = fold_name(values["full_name"])
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    await conn.execute(f"UPDATE candidates SET {assignments} WHERE id = :id",
                       {**values, "id": candidate_id})


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


async def effective_events(
    conn: aiosqlite.Connection, candidate_id: int
) -> list[dict[str, Any]]:
    """Return the candidate's events that no other event supersedes, oldest first."""
    rows = await conn.execute_fetchall(
        """
        SELECT e.* FROM stage_events AS e
        WHERE e.candidate_id = ?
          AND NOT EXISTS (SELECT 1 FROM stage_events AS s WHERE s.supersedes_id = e.id)
        ORDER BY e.event_date, e.id
        """,
        (candidate_id,),
    )
    return [dict(row) for row in rows]


_SEARCH_SQL = """
WITH scope (id) AS (SELECT value FROM json_each(:units)),
     words (word) AS (SELECT value FROM json_each(:words)),
     hits AS (
        SELECT c.id, c.full_name, c.name_folded, c.birth_date, c.cell_id, c.youth_branch_id,
               c.current_stage, c.current_stage_date,
               c.name_folded = :query AS exact,
               EXISTS (SELECT 1 FROM words
                       WHERE substr(' ' || c.name_folded, -length(word) - 1) = ' ' || word)
                   AS given_name
        FROM candidates AS c
        WHERE (c.cell_id IN (SELECT id FROM scope)
               OR c.youth_branch_id IN (SELECT id FROM scope))
          AND NOT EXISTS (SELECT 1 FROM words WHERE instr(c.name_folded, word) = 0)
        ORDER BY exact DESC, given_name DESC, c.name_folded, c.id
        LIMIT :limit
     )
SELECT h.id, h.full_name, h.birth_date, h.cell_id, u.name AS cell_name, h.youth_branch_id,
       h.current_stage AS stage, h.current_stage_date AS stage_date
FROM hits AS h
JOIN units AS u ON u.id = h.cell_id
ORDER BY h.exact DESC, h.given_name DESC, h.name_folded, h.id
"""


def _search_words(folded_query: str) -> list[str]:
    """Return the distinct words of a folded query, longest (most selective) first."""
    return sorted(set(folded_query.split()), key=lambda word: (-len(word), word))


async def search_candidates(
    conn: aiosqlite.Connection, query: str, unit_ids: Collection[int], limit: int = 10
) -> list[dict[str, Any]]:
    """Find candidates in the given units whose folded name contains every query word.

    Exact folded matches come first, then names whose given name (last word) is a
    query word, then the rest alphabetically. Each row has id, full_name,
    birth_date, cell_id, cell_name, youth_branch_id and the current stage (stage,
    stage_date; None without events), as kept by storage/current.py.
    """
    folded = fold(query)
    if not folded or not unit_ids or limit <= 0:
        return []
    rows = await conn.execute_fetchall(
        _SEARCH_SQL,
        {
            "units": json.dumps(sorted({int(unit_id) for unit_id in unit_ids})),
            "words": json.dumps(_search_words(folded)),
            "query": folded,
            "limit": int(limit),
        },
    )
    return [dict(row) for row in rows]
