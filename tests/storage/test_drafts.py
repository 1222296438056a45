"""Form drafts over a real SQLite file, and migration 0003."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from storage.db import connect, open_database
from storage.drafts import Draft, delete_draft, draft_keys, load_draft, save_draft
from storage.migrations import available_migrations, current_version, migrate

STARTED = datetime(2026, 3, 15, 8, 30, 0, 123456, tzinfo=timezone.utc)


def _draft(**changes) -> Draft:
    """A draft of the add-candidate form with two answers."""
    values = dict(
        user_id=1001, chat_id=1001, form="add_candidate", step="birth_date",
        answers={"full_name": "Nguyễn Thị Mai", "gender": "female"},
        started_at=STARTED, updated_at=STARTED,
    )
    values.update(changes)
    return Draft(**values)


async def test_save_and_load_round_trip(conn):
    draft = _draft()
    await save_draft(conn, draft)
    assert await load_draft(conn, 1001, 1001) == draft
    assert await load_draft(conn, 1001, 2002) is None
    assert await load_draft(conn, 2002, 1001) is None


async def test_save_updates_existing_draft(conn):
    await save_draft(conn, _draft())
    later = STARTED + timedelta(minutes=3)
    updated = _draft(step="cell", answers={"full_name": "Lê Thu Trang", "n": [1, 2]},
                     updated_at=later)
    await save_draft(conn, updated)
    loaded = await load_draft(conn, 1001, 1001)
    assert loaded == updated
    assert loaded.started_at == STARTED and loaded.updated_at == later
    rows = await conn.execute_fetchall("SELECT count(*) FROM form_drafts")
    assert rows[0][0] == 1


async def test_timestamps_are_stored_as_utc(conn):
    hanoi = timezone(timedelta(hours=7))
    local = datetime(2026, 3, 15, 15, 30, tzinfo=hanoi)
    await save_draft(conn, _draft(started_at=local, updated_at=local))
    rows = await conn.execute_fetchall("SELECT started_at FROM form_drafts")
    assert rows[0][0] == "2026-03-15T08:30:00.000000Z"
    loaded = await load_draft(conn, 1001, 1001)
    assert loaded.started_at == local and loaded.started_at.tzinfo == timezone.utc


async def test_naive_datetimes_are_refused(conn):
    with pytest.raises(TypeError):
        await save_draft(conn, _draft(updated_at=datetime(2026, 3, 15)))


async def test_delete_draft(conn):
    await save_draft(conn, _draft())
    assert await delete_draft(conn, 1001, 1001) is True
    assert await load_draft(conn, 1001, 1001) is None
    assert await delete_draft(conn, 1001, 1001) is False


async def test_draft_keys(conn):
    assert await draft_keys(conn) == set()
    await save_draft(conn, _draft())
    await save_draft(conn, _draft(chat_id=-100500))
    await save_draft(conn, _draft(user_id=7, chat_id=7))
    assert await draft_keys(conn) == {(1001, 1001), (1001, -100500), (7, 7)}
    await delete_draft(conn, 1001, -100500)
    assert await draft_keys(conn) == {(1001, 1001), (7, 7)}


async def test_answers_must_be_json(conn):
    with pytest.raises(sqlite3.IntegrityError):
        await conn.execute(
            "INSERT INTO form_drafts VALUES (1, 1, 'f', 's', 'not json', 'x', 'x')"
        )


async def test_drafts_survive_reopening(db_path):
    conn = await open_database(db_path)
    await save_draft(conn, _draft())
    await conn.close()
    conn = await open_database(db_path)
    try:
        assert await load_draft(conn, 1001, 1001) == _draft()
    finally:
        await conn.close()


async def test_migration_3_is_forms():
    migrations = available_migrations()
    assert [m.name for m in migrations if m.number == 3] == ["forms"]


async def test_version_2_database_is_upgraded_to_the_newest(db_path):
    conn = await connect(db_path)
    assert await migrate(conn, target=2) == [1, 2]
    await conn.execute("INSERT INTO ptb_user_data (user_id, data) VALUES (1, '{}')")
    await conn.close()

    conn = await open_database(db_path)
    try:
        assert await current_version(conn) == max(m.number for m in available_migrations())
        rows = await conn.execute_fetchall("SELECT user_id FROM ptb_user_data")
        assert [row[0] for row in rows] == [1]
        await save_draft(conn, _draft())
        assert await draft_keys(conn) == {(1001, 1001)}
        indexes = await conn.execute_fetchall(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'candidates'"
        )
        assert "candidates_cell_name" in {row[0] for row in indexes}
    finally:
        await conn.close()
