"""Weekly digests: each person's schedule, the delivery log and the sender's lease.

The delivery log (`reminder_deliveries`, one row per person and week) is the source of
truth for exactly-once delivery: a digest is claimed (`sending`) right before its HTTP
call and finished (`sent`, `failed`, `retry`, `unknown`) right after, each in a statement
of its own, so a crash leaves at most the in-flight rows undecided. Every write is one
statement: coroutines share the connection, so nothing here holds a transaction open.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from datetime import date, datetime
from typing import Any

import aiosqlite

from storage.db import utc_text

FINAL = ("sent", "empty", "failed", "unknown")  # a week's digest is settled for the person


async def get_settings(conn: aiosqlite.Connection, person_id: int) -> dict[str, Any] | None:
    """The person's saved schedule, or None (the defaults apply)."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM reminder_settings WHERE person_id = ?", (person_id,))
    return dict(rows[0]) if rows else None


async def save_settings(conn: aiosqlite.Connection, person_id: int, *, state: str,
                        weekday: int, local_time: str, paused_until: date | None,
                        when_empty: str, schedule_since: datetime, now: datetime) -> None:
    """Write the person's whole schedule (one upsert)."""
    await conn.execute(
        """INSERT INTO reminder_settings (person_id, state, weekday, local_time, paused_until,
                                          when_empty, schedule_since, updated_at)
           VALUES (:person, :state, :weekday, :time, :until, :empty, :since, :now)
           ON CONFLICT (person_id) DO UPDATE SET
               state = :state, weekday = :weekday, local_time = :time, paused_until = :until,
               when_empty = :empty, schedule_since = :since, updated_at = :now""",
        {"person": person_id, "state": state, "weekday": weekday, "time": local_time,
         "until": paused_until.isoformat() if paused_until else None, "empty": when_empty,
         "since": utc_text(schedule_since), "now": utc_text(now)})


async def recipients(conn: aiosqlite.Connection, channel: str, roles: Collection[str],
                     person_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
    """People holding one of `roles` who can be reached on `channel`, with their saved
    schedule (NULLs when none), their roles as JSON [[unit_id, role], ...] and when they
    got the first of those roles (`first_role_at`)."""
    params = {"channel": channel, "roles": json.dumps(sorted(roles)),
              "people": json.dumps(sorted(person_ids)) if person_ids is not None else None}
    rows = await conn.execute_fetchall(
        """WITH held AS (
               SELECT person_id, json_group_array(json_array(unit_id, role)) AS roles,
                      min(granted_at) AS first_role_at
               FROM roles WHERE role IN (SELECT value FROM json_each(:roles))
               GROUP BY person_id)
           SELECT p.id AS person_id, p.full_name, held.roles, held.first_role_at,
                  min(i.external_id) AS external_id,
                  coalesce(min(i.chat_id), min(i.external_id)) AS chat_id,
                  s.state, s.weekday, s.local_time, s.paused_until, s.when_empty,
                  s.schedule_since
           FROM held
           JOIN people AS p ON p.id = held.person_id
           JOIN identities AS i ON i.person_id = p.id AND i.channel = :channel
           LEFT JOIN reminder_settings AS s ON s.person_id = p.id
           WHERE :people IS NULL OR p.id IN (SELECT value FROM json_each(:people))
           GROUP BY p.id
           ORDER BY p.id""", params)
    return [dict(row) | {"roles": [tuple(r) for r in json.loads(row["roles"])]}
            for row in rows]


async def slots(conn: aiosqlite.Connection) -> list[tuple[int, str]]:
    """Every (weekday, local_time) someone chose and has not switched off."""
    rows = await conn.execute_fetchall(
        "SELECT DISTINCT weekday, local_time FROM reminder_settings WHERE state <> 'off' "
        "ORDER BY weekday, local_time")
    return [(row[0], row[1]) for row in rows]


async def week_log(conn: aiosqlite.Connection, week: str) -> dict[int, dict[str, Any]]:
    """The week's delivery rows by person."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM reminder_deliveries WHERE week = ?", (week,))
    return {row["person_id"]: dict(row) for row in rows}


async def delivery(conn: aiosqlite.Connection, person_id: int, week: str
                   ) -> dict[str, Any] | None:
    """One person's row for one week."""
    rows = await conn.execute_fetchall(
        "SELECT * FROM reminder_deliveries WHERE person_id = ? AND week = ?",
        (person_id, week))
    return dict(rows[0]) if rows else None


async def claim(conn: aiosqlite.Connection, person_id: int, week: str, run_id: str,
                channel: str, chat_id: str, now: datetime) -> bool:
    """Mark the digest as being sent by this run; False when it is settled or another run
    holds it. A run may claim again what it holds (its retry after a 429)."""
    cursor = await conn.execute(
        """INSERT INTO reminder_deliveries (person_id, week, status, attempts, run_id, channel,
                                            chat_id, claimed_at)
           VALUES (:person, :week, 'sending', 1, :run, :channel, :chat, :now)
           ON CONFLICT (person_id, week) DO UPDATE SET
               status = 'sending', attempts = attempts + 1, run_id = :run, channel = :channel,
               chat_id = :chat, claimed_at = :now, error = NULL
           WHERE status = 'retry' OR (status = 'sending' AND run_id = :run)""",
        {"person": person_id, "week": week, "run": run_id, "channel": channel,
         "chat": chat_id, "now": utc_text(now)})
    return cursor.rowcount == 1


async def finish(conn: aiosqlite.Connection, person_id: int, week: str, run_id: str,
                 status: str, now: datetime, message_id: int | None = None,
                 error: str | None = None) -> None:
    """Settle (or set back to `retry`) a digest this run claimed."""
    await conn.execute(
        """UPDATE reminder_deliveries
           SET status = ?, message_id = ?, error = ?, finished_at = ?
           WHERE person_id = ? AND week = ? AND run_id = ?""",
        (status, message_id, error, utc_text(now), person_id, week, run_id))


async def record_empty(conn: aiosqlite.Connection, person_id: int, week: str, run_id: str,
                       now: datetime) -> bool:
    """Nothing to report and the person wants nothing: settle the week without sending."""
    cursor = await conn.execute(
        """INSERT INTO reminder_deliveries (person_id, week, status, run_id, finished_at)
           VALUES (:person, :week, 'empty', :run, :now)
           ON CONFLICT (person_id, week) DO UPDATE SET
               status = 'empty', run_id = :run, finished_at = :now
           WHERE status = 'retry'""",
        {"person": person_id, "week": week, "run": run_id, "now": utc_text(now)})
    return cursor.rowcount == 1


async def abandon_in_flight(conn: aiosqlite.Connection, run_id: str, now: datetime) -> int:
    """Rows left `sending` by a run that is gone: they may or may not have arrived, so they
    become `unknown` (never resent; shown to admins). Returns how many."""
    cursor = await conn.execute(
        """UPDATE reminder_deliveries SET status = 'unknown', error = 'interrupted',
                                          finished_at = ?
           WHERE status = 'sending' AND run_id IS NOT ?""", (utc_text(now), run_id))
    return cursor.rowcount


async def acquire_lease(conn: aiosqlite.Connection, owner: str, now: datetime,
                        stale_before: datetime, is_dead: Callable[[str], bool]) -> bool:
    """Become the only sender: free, ours, not renewed since `stale_before`, or held by a
    process known to be dead. One compare-and-set statement, so two processes cannot both
    win."""
    rows = await conn.execute_fetchall("SELECT owner, renewed_at FROM reminder_lease")
    if not rows:
        cursor = await conn.execute(
            "INSERT OR IGNORE INTO reminder_lease (id, owner, renewed_at) VALUES (1, ?, ?)",
            (owner, utc_text(now)))
        return cursor.rowcount == 1
    held_by, renewed_at = rows[0]
    if held_by != owner and renewed_at >= utc_text(stale_before) and not is_dead(held_by):
        return False
    cursor = await conn.execute(
        "UPDATE reminder_lease SET owner = ?, renewed_at = ? WHERE id = 1 AND owner = ? "
        "AND renewed_at = ?", (owner, utc_text(now), held_by, renewed_at))
    return cursor.rowcount == 1


async def renew_lease(conn: aiosqlite.Connection, owner: str, now: datetime) -> bool:
    """Keep the lease while sending; False if another process took it over."""
    cursor = await conn.execute(
        "UPDATE reminder_lease SET renewed_at = ? WHERE id = 1 AND owner = ?",
        (utc_text(now), owner))
    return cursor.rowcount == 1


async def release_lease(conn: aiosqlite.Connection, owner: str) -> None:
    """Give the lease up (done sending)."""
    await conn.execute("DELETE FROM reminder_lease WHERE owner = ?", (owner,))


async def week_problems(conn: aiosqlite.Connection, week: str,
                        unit_ids: Collection[int] | None
                        ) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Counts per status for the week, and the rows not delivered (failed, unknown, retry)
    with the person's name; only people with a role on `unit_ids` unless None."""
    params = {"week": week,
              "units": json.dumps(sorted(unit_ids)) if unit_ids is not None else None}
    mine = """(:units IS NULL OR d.person_id IN (
                   SELECT person_id FROM roles
                   WHERE unit_id IN (SELECT value FROM json_each(:units))))"""
    counts = await conn.execute_fetchall(
        f"SELECT status, count(*) FROM reminder_deliveries AS d WHERE week = :week AND {mine} "
        "GROUP BY status", params)
    rows = await conn.execute_fetchall(
        f"""SELECT d.*, p.full_name FROM reminder_deliveries AS d
            JOIN people AS p ON p.id = d.person_id
            WHERE d.week = :week AND {mine} AND d.status IN ('failed', 'unknown', 'retry')
            ORDER BY p.full_name, d.person_id""", params)
    return {row[0]: row[1] for row in counts}, [dict(row) for row in rows]
