"""Repository functions and schema rules over a real SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from storage import audit, candidates, people, quotas, units
from storage.db import backup, connect


async def _tree(conn) -> dict[str, int]:
    """Build commune -> grassroots -> cell / youth base -> youth branch."""
    ids = {"commune": await units.add_unit(conn, "commune_committee", "Đảng ủy xã An Phú")}
    ids["grassroots"] = await units.add_unit(
        conn, "grassroots_committee", "Đảng ủy Trường THPT", parent_id=ids["commune"]
    )
    ids["cell"] = await units.add_unit(
        conn, "cell", "Chi bộ Giáo viên", parent_id=ids["grassroots"], code="CB-GV"
    )
    ids["youth_base"] = await units.add_unit(
        conn, "youth_base", "Đoàn trường", parent_id=ids["grassroots"]
    )
    ids["youth_branch"] = await units.add_unit(
        conn, "youth_branch", "Chi đoàn 12A1", parent_id=ids["youth_base"]
    )
    ids["other_commune"] = await units.add_unit(conn, "commune_committee", "Xã Bình")
    return ids


async def test_subtree_ids_over_three_levels(conn):
    ids = await _tree(conn)
    assert await units.subtree_ids(conn, ids["commune"]) == sorted(
        [ids["commune"], ids["grassroots"], ids["cell"], ids["youth_base"], ids["youth_branch"]]
    )
    assert await units.subtree_ids(conn, ids["youth_base"]) == [
        ids["youth_base"], ids["youth_branch"],
    ]
    assert await units.subtree_ids(conn, 9999) == []
    assert [u["name"] for u in await units.children(conn, ids["grassroots"])] == [
        "Chi bộ Giáo viên", "Đoàn trường",
    ]
    assert (await units.get_unit(conn, ids["cell"]))["code"] == "CB-GV"
    assert len(await units.list_units(conn, kind="commune_committee")) == 2


async def test_unit_kind_rules_and_parent_restrict(conn):
    ids = await _tree(conn)
    with pytest.raises(sqlite3.IntegrityError, match="not allowed"):
        await units.add_unit(conn, "cell", "Chi bộ lạc", parent_id=ids["youth_branch"])
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await units.add_unit(conn, "cell", "Chi bộ ma", parent_id=9999)
    with pytest.raises(sqlite3.IntegrityError):
        await conn.execute("DELETE FROM units WHERE id = ?", (ids["youth_base"],))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await units.add_unit(conn, "district_committee", "Huyện ủy")


async def test_people_identities_and_roles(conn):
    ids = await _tree(conn)
    secretary = await people.add_person(conn, "Lê Văn C", phone="0900000000")
    other = await people.add_person(conn, "Phạm D")
    await people.link_identity(conn, secretary, "telegram", 42, display_name="c_le")
    await people.link_identity(conn, secretary, "telegram", 42, display_name="c_le2")
    assert (await people.person_by_identity(conn, "telegram", "42"))["id"] == secretary
    assert await people.person_by_identity(conn, "zalo", "42") is None
    with pytest.raises(people.IdentityTakenError):
        await people.link_identity(conn, other, "telegram", 42)

    assert await people.grant_role(conn, secretary, ids["cell"], "cell_secretary", other)
    assert not await people.grant_role(conn, secretary, ids["cell"], "cell_secretary")
    roles = await people.roles_of(conn, secretary)
    assert [(r["unit_name"], r["role"]) for r in roles] == [
        ("Chi bộ Giáo viên", "cell_secretary"),
    ]
    assert await people.revoke_role(conn, secretary, ids["cell"], "cell_secretary")
    assert not await people.revoke_role(conn, secretary, ids["cell"], "cell_secretary")


def test_fold_name():
    assert candidates.fold_name("Nguyễn Thị Đào") == "nguyen thi dao"
    assert candidates.fold_name("  ĐẶNG   văn\tđức ") == "dang van duc"


async def test_candidate_must_belong_to_a_cell(conn):
    ids = await _tree(conn)
    with pytest.raises(sqlite3.IntegrityError, match="must be a cell"):
        await candidates.add_candidate(conn, "Võ E", ids["youth_branch"])
    with pytest.raises(sqlite3.IntegrityError, match="must be a cell"):
        await candidates.add_candidate(conn, "Võ E", ids["cell"], youth_branch_id=ids["cell"])


async def test_stage_events_are_append_only_and_current_stage_skips_superseded(conn):
    ids = await _tree(conn)
    candidate = await candidates.add_candidate(
        conn, "Nguyễn Thị Đào", ids["cell"], birth_date=date(2007, 3, 1),
        youth_branch_id=ids["youth_branch"], is_doan_vien=True, segment="thpt",
    )
    assert (await candidates.get_candidate(conn, candidate))["name_folded"] == "nguyen thi dao"
    assert await _current(conn, candidate) == (None, None)

    first = await candidates.add_stage_event(conn, candidate, "identified", date(2025, 1, 10))
    wrong = await candidates.add_stage_event(
        conn, candidate, "application_filed", date(2025, 6, 1))
    assert await _current(conn, candidate) == ("application_filed", "2025-06-01")
    await candidates.add_stage_event(
        conn, candidate, "identified", date(2025, 1, 12), note="date fixed", supersedes_id=first
    )
    await candidates.add_stage_event(
        conn, candidate, "application_filed", date(2025, 5, 20), supersedes_id=wrong
    )
    assert await _current(conn, candidate) == ("application_filed", "2025-05-20")
    events = await candidates.events_of(conn, candidate)
    assert [e["superseded_by"] is not None for e in events] == [True, False, False, True]

    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await conn.execute("UPDATE stage_events SET stage = 'x' WHERE id = ?", (first,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await conn.execute("DELETE FROM stage_events WHERE id = ?", (first,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await conn.execute("DELETE FROM candidates WHERE id = ?", (candidate,))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await conn.execute(
            "INSERT INTO stage_events (candidate_id, stage, event_date) "
            "VALUES (?, 'x', '2025-02-30')",
            (candidate,),
        )


async def test_quotas_upsert_including_null_segment(conn):
    ids = await _tree(conn)
    year = (date(2025, 1, 1), date(2025, 12, 31))
    first = await quotas.set_quota(conn, ids["cell"], "year", *year, 2)
    again = await quotas.set_quota(conn, ids["cell"], "year", *year, 3)
    await quotas.set_quota(conn, ids["cell"], "year", *year, 1, segment="thpt")
    assert first == again
    rows = await quotas.quotas_of(conn, ids["cell"], on=date(2025, 7, 1))
    assert [(r["segment"], r["target"]) for r in rows] == [(None, 3), ("thpt", 1)]
    assert await quotas.quotas_of(conn, ids["cell"], on=date(2026, 1, 1)) == []


async def test_audit_log(conn):
    person = await people.add_person(conn, "Admin")
    await audit.record(conn, person, "candidate.add", "candidate", 1, {"on": date(2025, 1, 1)})
    await audit.record(conn, None, "backup")
    entries = await audit.recent(conn, limit=10)
    assert [e["action"] for e in entries] == ["backup", "candidate.add"]
    assert entries[1]["detail"] == {"on": "2025-01-01"}


async def test_backup_produces_readable_copy(conn, db_path, tmp_path):
    ids = await _tree(conn)
    await candidates.add_candidate(conn, "Hoàng F", ids["cell"])
    backups = tmp_path / "backups"
    backups.mkdir()
    copy = backup(db_path, backups)  # while the app connection is open
    assert copy.parent == backups and copy.name.startswith("bot-") and copy.suffix == ".sqlite3"
    assert not list(backups.glob("*.part"))

    restored = await connect(copy)
    try:
        for table in ("units", "candidates"):
            original = await conn.execute_fetchall(f"SELECT * FROM {table} ORDER BY id")
            copied = await restored.execute_fetchall(f"SELECT * FROM {table} ORDER BY id")
            assert [tuple(r) for r in copied] == [tuple(r) for r in original]
    finally:
        await restored.close()

    named = backup(db_path, tmp_path / "named" / "copy.sqlite3")
    assert named.is_file()
    with pytest.raises(FileNotFoundError):
        backup(tmp_path / "missing.sqlite3", backups)


async def _current(conn, candidate_id: int) -> tuple[str | None, str | None]:
    """The current stage and its date as kept on the candidate row."""
    row = await candidates.get_candidate(conn, candidate_id)
    return row["current_stage"], row["current_stage_date"]
