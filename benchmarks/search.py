"""Candidate name search over 2·10^5 candidates in 50 cells: prints ms per query.

Usage: python benchmarks/search.py
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

from bot.text import fold
from storage import units
from storage.candidates import search_candidates
from storage.db import open_database

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Trang", "Tú"]
QUERIES = (("mai nguyen", 2), ("thi lan", 50), ("zzz", 50), ("an", 50))
REPEAT = 20


async def build(path: Path) -> tuple[object, list[int]]:
    """A province with 50 cells and 200 000 candidates."""
    conn = await open_database(path)
    province = await units.add_unit(conn, "province_committee", "Tỉnh")
    commune = await units.add_unit(conn, "commune_committee", "Xã", province)
    cells = [await units.add_unit(conn, "cell", f"Chi bộ {n}", commune) for n in range(50)]
    folded = {w: fold(w) for w in FAMILY + MIDDLE + GIVEN}
    await conn.execute(
        """
        WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199999),
             family (k, w, f) AS (SELECT key, value ->> 0, value ->> 1 FROM json_each(:family)),
             middle (k, w, f) AS (SELECT key, value ->> 0, value ->> 1 FROM json_each(:middle)),
             given (k, w, f) AS (SELECT key, value ->> 0, value ->> 1 FROM json_each(:given)),
             cells (k, id) AS (SELECT key, value FROM json_each(:cells))
        INSERT INTO candidates (full_name, name_folded, cell_id)
        SELECT f.w || ' ' || m.w || ' ' || g.w, f.f || ' ' || m.f || ' ' || g.f, cells.id
        FROM n JOIN family AS f ON f.k = i % 10 JOIN middle AS m ON m.k = i / 10 % 6
               JOIN given AS g ON g.k = i / 60 % 11 JOIN cells ON cells.k = i % 50
        """,
        {name: json.dumps([[w, folded[w]] for w in words])
         for name, words in (("family", FAMILY), ("middle", MIDDLE), ("given", GIVEN))}
        | {"cells": json.dumps(cells)},
    )
    return conn, cells


async def main() -> None:
    """Build the database and time each query REPEAT times."""
    with tempfile.TemporaryDirectory() as tmp:
        conn, cells = await build(Path(tmp) / "search.sqlite3")
        print("candidates: 200000 in 50 cells")
        for query, cell_count in QUERIES:
            timings = []
            for _ in range(REPEAT):
                started = time.perf_counter()
                found = await search_candidates(conn, query, cells[:cell_count])
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            print(f"{query!r:14} scope {cell_count:2} cells: {len(found):2} found, "
                  f"p50 {timings[len(timings) // 2]:7.1f} ms, max {timings[-1]:7.1f} ms")
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
