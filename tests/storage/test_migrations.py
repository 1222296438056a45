"""Schema migrations: ordering, idempotence, atomicity, version guard."""

from __future__ import annotations

import sqlite3

import pytest

from storage.db import connect, open_database, transaction
from storage.migrations import (
    Migration,
    MigrationError,
    SchemaTooNewError,
    apply_migration,
    available_migrations,
    current_version,
    migrate,
    split_statements,
)

CORE_TABLES = {
    "units", "unit_kind_rules", "people", "identities", "roles", "candidates",
    "stage_events", "quotas", "unit_membership", "audit_log",
}
PTB_TABLES = {
    "ptb_user_data", "ptb_chat_data", "ptb_bot_data", "ptb_callback_data", "ptb_conversations",
}


async def _tables(conn) -> set[str]:
    """Names of the user tables in the database."""
    rows = await conn.execute_fetchall(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {row[0] for row in rows}


def test_available_migrations_are_numbered_from_one():
    migrations = available_migrations()
    assert [m.number for m in migrations] == list(range(1, len(migrations) + 1))
    assert [m.name for m in migrations[:2]] == ["core", "persistence"]


def test_split_statements_keeps_trigger_bodies_and_comments_whole():
    sql = (
        "-- a comment; with a semicolon\nCREATE TABLE t (a);\n"
        "CREATE TRIGGER tr BEFORE DELETE ON t BEGIN SELECT 1; SELECT 'x;y'; END;\n"
        "INSERT INTO t VALUES (';');"
    )
    statements = split_statements(sql)
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


async def test_fresh_database_is_at_newest_version_with_all_tables(conn):
    newest = available_migrations()[-1].number
    assert await current_version(conn) == newest
    assert CORE_TABLES | PTB_TABLES <= await _tables(conn)


async def test_pragmas_are_applied(conn):
    async with conn.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"
    async with conn.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1
    async with conn.execute("PRAGMA busy_timeout") as cursor:
        assert (await cursor.fetchone())[0] == 5000


async def test_memory_database_works():
    conn = await open_database(":memory:")
    try:
        assert await current_version(conn) == available_migrations()[-1].number
    finally:
        await conn.close()


async def test_old_database_is_upgraded_and_keeps_rows(db_path):
    conn = await connect(db_path)
    assert await migrate(conn, target=1) == [1]
    assert await current_version(conn) == 1
    assert "ptb_user_data" not in await _tables(conn)
    await conn.execute("INSERT INTO units (kind, name) VALUES ('cell', 'Chi bộ 1')")
    await conn.close()

    conn = await open_database(db_path)
    try:
        assert await current_version(conn) == available_migrations()[-1].number
        rows = await conn.execute_fetchall("SELECT name FROM units")
        assert [row[0] for row in rows] == ["Chi bộ 1"]
    finally:
        await conn.close()


async def test_migrate_twice_applies_nothing(conn):
    assert await migrate(conn) == []


async def test_database_newer_than_code_is_refused(db_path):
    conn = await connect(db_path)
    await conn.execute("PRAGMA user_version = 999")
    await conn.close()
    with pytest.raises(SchemaTooNewError, match="999"):
        await open_database(db_path)


async def test_failing_migration_leaves_version_and_schema_unchanged(conn):
    known = available_migrations()
    broken = Migration(
        len(known) + 1,
        "broken",
        "CREATE TABLE half_done (a);\nINSERT INTO no_such_table VALUES (1);",
    )
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await migrate(conn, migrations=[*known, broken])
    assert await current_version(conn) == known[-1].number
    assert "half_done" not in await _tables(conn)
    assert not conn.in_transaction


async def test_foreign_keys_off_migration_checks_violations(conn):
    known = available_migrations()
    bad = Migration(
        len(known) + 1,
        "rebuild",
        "-- foreign_keys: off\n"
        "INSERT INTO roles (person_id, unit_id, role) VALUES (7, 7, 'member');",
    )
    with pytest.raises(MigrationError, match="foreign key violations"):
        await apply_migration(conn, bad)
    assert await current_version(conn) == known[-1].number
    async with conn.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1


async def test_migration_with_gap_is_refused(conn):
    with pytest.raises(MigrationError):
        await migrate(conn, migrations=[Migration(1, "a", ""), Migration(3, "c", "")])


async def test_transaction_rolls_back_and_nests(conn):
    with pytest.raises(RuntimeError):
        async with transaction(conn):
            await conn.execute("INSERT INTO people (full_name) VALUES ('A')")
            raise RuntimeError
    async with transaction(conn):
        await conn.execute("INSERT INTO people (full_name) VALUES ('B')")
        with pytest.raises(RuntimeError):
            async with transaction(conn):
                await conn.execute("INSERT INTO people (full_name) VALUES ('C')")
                raise RuntimeError
    rows = await conn.execute_fetchall("SELECT full_name FROM people")
    assert [row[0] for row in rows] == ["B"]
