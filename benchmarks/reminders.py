"""The weekly digest fan-out against an emulator that enforces Telegram's 30 messages/s.

Usage: python benchmarks/reminders.py [N]   (default N = 10 000 secretaries; ~6 minutes)

N youth secretaries, each leading a youth branch with two candidates (one stalled, one
with a deadline due), are owed this week's digest. The emulator answers 429 (retry_after
1 s) to any sendMessage above 30 in a sliding second. The production Application (its
AIORateLimiter, the delivery log) sends everything; the script prints the achieved rate
as a fraction of 30 (goal >= 0.95), digests lost (goal 0) and sent twice (goal 0), and
the 429s the emulator answered.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from bot.app import create_application, stop_application
from bot.channels.emulator import DemoUser, Emulator
from bot.config import load_settings
from handlers.reminders import send_due
from storage.db import open_database

TOKEN = "123456:BENCHMARK"
LIMIT = 30.0
FIRST_USER = 100_000


def seed(path: Path, count: int) -> None:
    """Units, people, roles and candidates in a few bulk statements."""
    today = date.today()
    db = sqlite3.connect(path)
    with db:
        db.execute("INSERT INTO units (id, kind, name) VALUES (1, 'province_committee', 'Tỉnh')")
        db.execute("INSERT INTO units (id, parent_id, kind, name) "
                   "VALUES (2, 1, 'cell', 'Chi bộ')")
        db.execute("INSERT INTO units (id, parent_id, kind, name) "
                   "VALUES (3, 1, 'youth_base', 'Đoàn')")
        db.executemany("INSERT INTO units (id, parent_id, kind, name) "
                       "VALUES (?, 3, 'youth_branch', ?)",
                       [(10 + i, f"Chi đoàn {i}") for i in range(count)])
        db.executemany("INSERT INTO people (id, full_name) VALUES (?, ?)",
                       [(1 + i, f"Bí Thư Số {i}") for i in range(count)])
        db.executemany("INSERT INTO identities (person_id, channel, external_id) "
                       "VALUES (?, 'telegram', ?)",
                       [(1 + i, str(FIRST_USER + i)) for i in range(count)])
        db.executemany("INSERT INTO roles (person_id, unit_id, role, granted_at) "
                       "VALUES (?, ?, 'youth_secretary', '2025-01-01T00:00:00.000Z')",
                       [(1 + i, 10 + i) for i in range(count)])
        db.executemany(
            "INSERT INTO candidates (id, full_name, name_folded, birth_date, cell_id, "
            "youth_branch_id, is_doan_vien) VALUES (?, ?, ?, ?, 2, ?, 1)",
            [(2 * i + k + 1, f"Ứng Viên {i} {k}", f"ung vien {i} {k}",
              (date(today.year - 18, today.month, 1) + timedelta(days=40) if k
               else date(2000, 1, 1)).isoformat(), 10 + i)
             for i in range(count) for k in (0, 1)])
        db.executemany(
            "INSERT INTO stage_events (candidate_id, stage, event_date) VALUES (?, ?, ?)",
            [(2 * i + k + 1, "identified",
              (date(2025, 1, 1) if k == 0 else today - timedelta(days=3)).isoformat())
             for i in range(count) for k in (0, 1)])
    db.close()


async def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        await (await open_database(path)).close()  # create the schema
        started = time.perf_counter()
        seed(path, count)
        print(f"seeded {count} secretaries in {time.perf_counter() - started:.1f} s")
        emulator = Emulator(host="127.0.0.1", port=0).start()
        try:
            for i in range(count):
                emulator.add_user(DemoUser(FIRST_USER + i, f"BT {i}", None, None, "vi", ""))
            emulator.set_rate_limit(LIMIT)
            settings = load_settings(_env_file=None, bot_token=TOKEN, database_path=path,
                                     reminders=False)
            app = await create_application(settings, base_url=f"{emulator.url}/bot")
            await app.initialize()
            try:
                started = time.perf_counter()
                result = await send_due(app, any_time=True)
                elapsed = time.perf_counter() - started
            finally:
                await stop_application(app)
            received = Counter({u: len(emulator.bot_messages(FIRST_USER + u))
                                for u in range(count)})
            delivered = sum(1 for n in received.values() if n)
            twice = sum(n - 1 for n in received.values() if n > 1)
            rate = delivered / elapsed
            print(f"run: {result.summary()}")
            print(f"delivered {delivered}/{count} in {elapsed:.1f} s: {rate:.2f} msg/s = "
                  f"{rate / LIMIT:.3f} of {LIMIT:.0f}/s (goal >= 0.95)")
            print(f"lost {count - delivered} (goal 0), sent twice {twice} (goal 0), "
                  f"429 answered by the emulator {emulator.stats()['rate_limited']}")
        finally:
            emulator.stop()


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
