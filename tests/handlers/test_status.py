"""/donvi and /chitieu: a unit's funnel, stalled candidates, segments and quota."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import candidates, quotas
from storage.db import open_database

# The same scenarios on Telegram and on Zalo (the emulator's two dialects).
pytestmark = pytest.mark.parametrize("channel", ["telegram", "zalo"], indirect=True)


async def test_unit_report_counts_steps_flags_stalled_and_shows_the_quota(
        org, settings, bot_app, chat, lan, today):
    db = await open_database(settings.database_path)
    stalled = await candidates.add_candidate(db, "Ngô Văn Chậm", org.cell_a,
                                             segment="residential")
    await candidates.add_stage_event(db, stalled, "identified", today - timedelta(weeks=20))
    await quotas.set_quota(db, org.cell_a, "term", today - timedelta(days=200),
                           today + timedelta(days=165), 2)
    await db.close()
    report = await chat.say(lan.id, "/donvi")
    assert report.startswith("🏢 Chi bộ thôn A")
    # Mai (class done), Tuấn (decided), Chậm (identified) in the pipeline; Lan Anh is full.
    assert "3 người đang trong quá trình bồi dưỡng, kết nạp" in report
    assert "• Được công nhận đảng viên chính thức: 1" in report
    assert "• Có quyết định kết nạp: 1" in report
    assert "Quá 8 tuần chưa có bước mới:\n• Ngô Văn Chậm" in report
    assert "Nguyễn Thị Mai —" not in report.split("Theo đối tượng")[0].split("tuần")[1]
    assert "• Khu dân cư (thôn, tổ dân phố): 2" in report  # Mai and Chậm
    assert "Chỉ tiêu 2, đã kết nạp 1" in report
    assert "Chỉ tiêu 2, đã kết nạp 1" in await chat.say(lan.id, "/chitieu")


async def test_unit_report_by_name_only_within_ones_units(org, bot_app, chat, lan):
    assert "🏢 Chi bộ thôn A" in await chat.say(lan.id, "/donvi thon a")
    assert "Không có đơn vị nào" in await chat.say(lan.id, "/donvi thon b")


async def test_a_secretary_sets_a_quota_by_chat_and_sees_its_progress(org, bot_app, chat, lan,
                                                                       settings, today):
    import sqlite3

    units = await chat.say(lan.id, "/chitieu dat")
    assert "Đặt chỉ tiêu" in units and "1. Chi bộ thôn A" in units
    periods = await chat.say(lan.id, "1")
    assert f"1. năm {today.year}" in periods and f"2. năm {today.year + 1}" in periods
    await chat.say(lan.id, "1")
    await chat.say(lan.id, "/skip")
    await chat.send(lan.id, "mười")  # not a number: asked again, nothing lost
    [refusal, _again] = await chat.wait_for_bot_messages(lan.id, count=2)
    assert "số nguyên" in refusal["message"]["text"]
    summary = await chat.say(lan.id, "5")
    assert f"năm {today.year}" in summary and "Chỉ tiêu: 5" in summary
    assert "Đã lưu" in await chat.say(lan.id, "lưu")
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("select unit_id, period_kind, target, segment from quotas").fetchall() \
            == [(org.cell_a, "year", 5, None)]
    assert f"📊 Chi bộ thôn A — năm {today.year}" in await chat.say(lan.id, "/chitieu")


async def test_a_plain_member_cannot_set_quotas(org, bot_app, chat, minh):
    assert "Không có lựa chọn nào" in await chat.say(minh.id, "/chitieu dat")


async def test_a_long_stalled_list_names_the_longest_waiting_and_counts_the_rest(
        org, settings, bot_app, chat, lan, today):
    db = await open_database(settings.database_path)
    for i in range(12):
        person = await candidates.add_candidate(db, f"Người Chờ {i:02}", org.cell_a)
        await candidates.add_stage_event(db, person, "identified",
                                         today - timedelta(weeks=30 - i))
    await db.close()
    report = await chat.say(lan.id, "/donvi")
    named = [line for line in report.splitlines() if line.startswith("• Người Chờ")]
    assert [line.split(" —")[0] for line in named] == [f"• Người Chờ {i:02}" for i in range(10)]
    assert "…và 2 người khác" in report
