"""/baocao: the workbook opens with openpyxl, its totals match the database, and it holds
only the asker's units."""

from __future__ import annotations

import io
import sqlite3

from openpyxl import load_workbook

from storage import quotas
from storage.db import open_database


async def files(chat, user_id: int) -> tuple[dict, dict | None, object]:
    """Send /baocao privately; return the document message, the photo message, workbook."""
    await chat.send(user_id, "/baocao")
    entries = await chat.wait_for_bot_messages(user_id, count=2)
    [document] = [e["message"] for e in entries if "document" in e["message"]]
    photos = [e["message"] for e in entries if "photo" in e["message"]]
    data = await chat.file(document["document"]["file_id"])
    return document, (photos[0] if photos else None), load_workbook(io.BytesIO(data))


def names_in(workbook) -> set[str]:
    sheet = workbook["Người được bồi dưỡng"]
    header = [c.value for c in sheet[1]]
    column = header.index("Họ và tên")
    return {row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}


async def test_the_workbook_and_chart_match_the_database(org, settings, bot_app, chat, lan,
                                                          today):
    db = await open_database(settings.database_path)
    await quotas.set_quota(db, org.cell_a, "year", today.replace(month=1, day=1),
                           today.replace(month=12, day=31), 4)
    await db.close()
    document, photo, workbook = await files(chat, lan.id)
    assert document["document"]["file_name"].endswith(".xlsx")
    assert "Chi bộ thôn A" in document["caption"]
    assert photo is not None
    chart = await chat.file(photo["photo"][-1]["file_id"])
    assert chart.startswith(b"\x89PNG")

    with sqlite3.connect(settings.database_path) as check:
        in_cell = {r[0] for r in check.execute(
            "SELECT full_name FROM candidates WHERE cell_id = ?", (org.cell_a,))}
        by_stage = dict(check.execute(
            "SELECT current_stage, count(*) FROM candidates WHERE cell_id = ? "
            "GROUP BY current_stage", (org.cell_a,)).fetchall())
        admitted = check.execute(
            "SELECT count(*) FROM stage_events e JOIN candidates c ON c.id = e.candidate_id "
            "WHERE c.cell_id = ? AND e.stage = 'ceremony_held' AND e.event_date BETWEEN ? AND ?",
            (org.cell_a, today.replace(month=1, day=1).isoformat(), today.isoformat())
        ).fetchone()[0]
    assert names_in(workbook) == in_cell and "Trịnh Thị Hoa" not in in_cell
    summary = {row[0]: row[1] for row in workbook["Tổng hợp"].iter_rows(values_only=True)
               if row and row[0]}
    assert summary["Tất cả"] == sum(by_stage.values()) == len(in_cell)
    assert summary["Có quyết định kết nạp"] == by_stage["admission_decided"]
    quota_rows = list(workbook["Chỉ tiêu"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[4]) for r in quota_rows] == [("Chi bộ thôn A", 4, admitted)]
    with sqlite3.connect(settings.database_path) as check:
        assert check.execute("SELECT count(*) FROM audit_log WHERE action = 'report.export'"
                             ).fetchone() == (1,)


async def test_a_member_of_cell_b_gets_only_cell_b_in_the_workbook(org, bot_app, chat, minh):
    _document, photo, workbook = await files(chat, minh.id)
    assert names_in(workbook) == {"Trịnh Thị Hoa"}
    assert photo is None  # no quota for cell B: a sentence instead of a chart


async def test_no_report_in_a_group_or_for_a_stranger(org, bot_app, chat, lan, stranger):
    await chat.send(lan.id, "/baocao", chat_id=-7001)
    [entry] = await chat.wait_for_bot_messages(-7001)
    assert "document" not in entry["message"] and "nhắn riêng" in entry["message"]["text"]
    await chat.send(stranger.id, "/baocao")
    [entry] = await chat.wait_for_bot_messages(stranger.id)
    assert "document" not in entry["message"] and "chưa có vai trò" in entry["message"]["text"]
