"""Numbered SQL migrations kept in ``storage/migrations/NNNN_name.sql``.

The schema version lives in ``PRAGMA user_version`` and equals the number of the
last applied migration. Each migration runs in its own ``BEGIN IMMEDIATE``
transaction together with the ``user_version`` bump, so a failing migration
leaves the database at the previous version. Migrations only go forward.

Statements are split with :func:`sqlite3.complete_statement` and executed one by
one (``executescript`` would commit the open transaction first). A migration that
must rebuild a referenced table can put the line ``-- foreign_keys: off`` in its
file: foreign keys are then disabled around the transaction and
``PRAGMA foreign_key_check`` must come back empty before the commit.

Expects a connection in autocommit mode (``isolation_level=None``), as opened by
:func:`storage.db.connect`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import aiosqlite

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_FOREIGN_KEYS_OFF = re.compile(r"^--\s*foreign_keys:\s*off\s*$", re.MULTILINE)


class MigrationError(RuntimeError):
    """A migration could not be applied or the migration set is inconsistent."""


class SchemaTooNewError(MigrationError):
    """The database was written by a newer version of the code."""

    def __init__(self, db_version: int, known_version: int) -> None:
        super().__init__(
            f"database schema version {db_version} is newer than the newest migration "
            f"this code knows ({known_version}); upgrade the bot or restore a backup"
        )
        self.db_version = db_version
        self.known_version = known_version


@dataclass(frozen=True, order=True)
class Migration:
    """One numbered SQL migration."""

    number: int
    name: str
    sql: str

    @property
    def disables_foreign_keys(self) -> bool:
        """Whether the file asks for foreign keys to be off while it runs."""
        return bool(_FOREIGN_KEYS_OFF.search(self.sql))


def available_migrations() -> list[Migration]:
    """Return the migrations shipped in the package, ordered by number."""
    folder = files(__package__).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            number, name = int(match.group(1)), match.group(2)
            found.append(Migration(number, name, entry.read_text(encoding="utf-8")))
    found.sort()
    _check_numbering(found)
    return found


def _check_numbering(migrations: Sequence[Migration]) -> None:
    """Raise MigrationError unless numbers run 1, 2, 3, ... without gaps."""
    numbers = [m.number for m in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise MigrationError(f"migration numbers must be 1..n without gaps, got {numbers}")


def split_statements(sql: str) -> list[str]:
    """Split an SQL script into complete statements (trigger bodies stay whole)."""
    statements: list[str] = []
    buffer = ""
    pieces = sql.split(";")
    for index, piece in enumerate(pieces):
        buffer += piece if index == len(pieces) - 1 else piece + ";"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


async def current_version(conn: aiosqlite.Connection) -> int:
    """Return the schema version stored in PRAGMA user_version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def _foreign_keys_on(conn: aiosqlite.Connection) -> bool:
    """Return whether foreign key enforcement is on for this connection."""
    async with conn.execute("PRAGMA foreign_keys") as cursor:
        row = await cursor.fetchone()
    return bool(row[0])


async def apply_migration(conn: aiosqlite.Connection, migration: Migration) -> bool:
    """Apply one migration atomically; return False if it was already applied."""
    if conn.in_transaction:
        raise MigrationError("cannot migrate inside an open transaction")
    restore_foreign_keys = migration.disables_foreign_keys and await _foreign_keys_on(conn)
    if restore_foreign_keys:
        await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        return await _apply_in_transaction(conn, migration)
    finally:
        if restore_foreign_keys:
            await conn.execute("PRAGMA foreign_keys = ON")


async def _apply_in_transaction(conn: aiosqlite.Connection, migration: Migration) -> bool:
    """Run the migration's statements and the version bump in one transaction."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        version = await current_version(conn)  # re-read under the write lock
        if version >= migration.number:
            await conn.execute("ROLLBACK")
            return False
        if version != migration.number - 1:
            raise MigrationError(
                f"cannot apply migration {migration.number} to schema version {version}"
            )
        for statement in split_statements(migration.sql):
            await conn.execute(statement)
        if migration.disables_foreign_keys:
            async with conn.execute("PRAGMA foreign_key_check") as cursor:
                violations = await cursor.fetchall()
            if violations:
                raise MigrationError(
                    f"migration {migration.number} leaves foreign key violations: "
                    f"{[tuple(v) for v in violations[:5]]}"
                )
        await conn.execute(f"PRAGMA user_version = {int(migration.number)}")
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
    return True


async def migrate(
    conn: aiosqlite.Connection,
    target: int | None = None,
    *,
    migrations: Sequence[Migration] | None = None,
) -> list[int]:
    """Bring the schema up to ``target`` (default: newest); return numbers applied."""
    known = sorted(available_migrations() if migrations is None else migrations)
    _check_numbering(known)
    newest = known[-1].number if known else 0
    if target is None:
        target = newest
    if not 0 <= target <= newest:
        raise ValueError(f"target version must be between 0 and {newest}, got {target}")
    version = await current_version(conn)
    if version > newest:
        raise SchemaTooNewError(version, newest)
    applied = []
    for migration in known:
        if version < migration.number <= target and await apply_migration(conn, migration):
            applied.append(migration.number)
    return applied
