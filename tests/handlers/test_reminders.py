"""Weekly digests end to end: real Application, real SQLite file, emulator over HTTP.

The clock the bot reads is the test's; JobQueue itself runs on the wall clock, so the
jobs are checked by their next run time and by running them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time as wall
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import stop_application
from bot.channels.emulator import DemoUser
from handlers.context import SERVICES_KEY
from handlers.reminders import send_due
from storage import candidates, people, quotas, units
from storage.db import open_database

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
HUNG_ID = 4004


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HCM)


def fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture
def monday(today) -> date:
    """The coming Monday (roles granted now are owed their first digest then)."""
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
async def youth(settings, org, monday):
    """Candidates of youth branch A, dated from the coming Monday, and a quota of 10 this
    year for the youth base Hùng leads."""
    db = await open_database(settings.database_path)
    base = (await units.get_unit(db, org.branch_a))["parent_id"]
    eighteen = monday + timedelta(days=10)
    seeded = {}

    async def add(name, steps, birth=date(2000, 5, 5)):
        cid = await candidates.add_candidate(db, name, org.cell_a, birth_date=birth,
                                             youth_branch_id=org.branch_a, is_doan_vien=True)
        for stage, days in steps:
            await candidates.add_stage_event(db, cid, stage, monday - timedelta(days=days))
        seeded[name] = cid

    await add("Phạm Văn Nam", [("identified", 20)],
              birth=eighteen.replace(year=eighteen.year - 18))
    await add("Đỗ Thị Thu", [("identified", 120), ("youth_introduced", 100)])
    await add("Vũ Văn Khoa", [(s, 200 - 10 * i) for i, s in enumerate((
        "identified", "youth_introduced", "awareness_class_done", "application_filed",
        "background_verified", "introducers_recorded", "cell_voted", "committee_voted"))]
        + [("admission_decided", 90)])
    await add("Lý Thị Hạnh", [("identified", 400), ("admission_decided", 110),
                              ("ceremony_held", 100)])
    await quotas.set_quota(db, base, "year", date(monday.year, 1, 1),
                           date(monday.year, 12, 31), 10)
    await db.close()
    return seeded


def _texts(entries):
    return [e["message"]["text"] for e in entries]


async def test_digest_for_a_seeded_unit_at_the_chosen_local_time(launch, chat, clock, org,
                                                                youth, monday):
    clock.now = local(monday, 7, 29)
    app = await launch(clock=clock)
    try:
        early = await send_due(app)
        assert early.owed == 0
        assert await chat.messages_from_bot(HUNG_ID) == []
        clock.now = local(monday, 7, 30)
        result = await send_due(app)
        assert result.counts["sent"] == 1
        [entry] = await chat.wait_for_bot_messages(HUNG_ID)
        text = entry["message"]["text"]
        week = monday.isocalendar()[1]
        assert text.startswith(f"📋 Nhắc việc tuần {week} ({fmt(monday)})")
        assert "🏢 Đoàn xã An Bình" in text
        overdue, rest = text.split("⚠️ Quá hạn:")[1].split("⏰ Trong 14 ngày tới:")
        assert "Vũ Văn Khoa — Hạn tổ chức lễ kết nạp" in overdue
        assert f"Phạm Văn Nam — Đủ 18 tuổi (ngày sớm nhất chi bộ có thể xét): " \
               f"{fmt(monday + timedelta(days=10))}" in rest.split("🐢")[0]
        stalled = text.split("🐢 Hơn 8 tuần chưa có bước mới:")[1].split("📚")[0]
        assert "Đỗ Thị Thu — " in stalled and fmt(monday - timedelta(days=100)) in stalled
        assert "Lý Thị Hạnh" not in stalled  # on probation: waiting by rule
        probation = text.split("📚 Đảng viên dự bị còn thiếu:")[1].split("🎯")[0]
        assert f"Lý Thị Hạnh — Học xong lớp bồi dưỡng đảng viên mới (kết nạp " \
               f"{fmt(monday - timedelta(days=100))})" in probation
        admitted = 1 if (monday - timedelta(days=100)).year == monday.year else 0
        assert f"🎯 Đoàn xã An Bình, năm {monday.year}: đã kết nạp {admitted}/10" in text
        assert "Nguyễn Thị Mai" not in text  # nothing due for her
        # one button per named candidate opens the status card
        buttons = [b["text"] for row in entry["message"]["reply_markup"]["inline_keyboard"]
                   for b in row]
        assert "👤 Vũ Văn Khoa" in buttons and "👤 Lý Thị Hạnh" in buttons
        await chat.press(HUNG_ID, entry["message"]["message_id"], text="👤 Vũ Văn Khoa")
        [card] = await chat.wait_for_bot_messages(HUNG_ID)
        assert card["message"]["text"].startswith("Vũ Văn Khoa — Chi bộ thôn A")
        # the same week never again, even if the job runs again
        again = await send_due(app, any_time=True)
        assert again.owed == 0
        assert await chat.messages_from_bot(HUNG_ID) == []
    finally:
        await stop_application(app)


async def test_jobs_are_scheduled_on_the_local_weekday_and_survive_a_restart(
        launch, settings, chat, clock, org, youth, monday):
    settings.reminders = True
    app = await launch(clock=clock)
    try:
        [default] = app.job_queue.get_jobs_by_name("digest 0 07:30")
        fires = default.next_t.astimezone(HCM)
        assert (fires.weekday(), fires.hour, fires.minute) == (0, 7, 30)
        reply = await chat.say(HUNG_ID, "/nhacnho", replies=1)
        assert "Nhắc việc hằng tuần: đang bật, vào Thứ Hai hằng tuần lúc 07:30." in reply
        assert "Lần tới: Thứ Hai " in reply
        assert "Bạn muốn làm gì?" in reply
        await chat.say(HUNG_ID, "doi ngay")
        await chat.say(HUNG_ID, "thu 6")  # typed, as on a phone without buttons
        wrong = await chat.say(HUNG_ID, "25 giờ", replies=2)
        assert "chưa đọc được giờ" in wrong and "Mấy giờ?" in wrong  # asked again
        saved = await chat.say(HUNG_ID, "17h")  # the day chosen before is kept
        assert "Đã lưu." in saved and "vào Thứ Sáu hằng tuần lúc 17:00" in saved
    finally:
        await stop_application(app)
    app = await launch(clock=clock)  # the schedule comes back from SQLite
    try:
        [friday] = app.job_queue.get_jobs_by_name("digest 4 17:00")
        fires = friday.next_t.astimezone(HCM)
        assert (fires.weekday(), fires.hour, fires.minute) == (4, 17, 0)
        # Monday 07:30 is no longer Hùng's time; Friday 17:00 is, and the job sends it
        clock.now = local(monday, 7, 30)
        assert (await send_due(app)).owed == 0
        clock.now = local(monday + timedelta(days=4), 17, 0)
        await friday.run(app)
        [entry] = await chat.wait_for_bot_messages(HUNG_ID)
        assert entry["message"]["text"].startswith("📋 Nhắc việc tuần")
    finally:
        await stop_application(app)


async def test_pause_stop_and_opt_in(launch, chat, clock, org, lan, minh, stranger, monday):
    clock.now = local(monday, 9)
    app = await launch(clock=clock)
    try:
        # a cell secretary gets nothing until she turns it on
        reply = await chat.say(lan.id, "/nhacnho")
        assert "Nhắc việc hằng tuần: đang tắt." in reply and "Bật nhắc nhở hằng tuần" in reply
        on = await chat.say(lan.id, "bat")
        assert "Đã lưu." in on and "vào Thứ Hai hằng tuần lúc 07:30" in on
        assert f"Lần tới: Thứ Hai {fmt(monday + timedelta(days=7))} lúc 07:30." in on
        await chat.say(HUNG_ID, "/nhacnho")
        await chat.say(HUNG_ID, "tam dung")
        paused = await chat.say(HUNG_ID, "2")
        assert f"Tạm dừng đến {fmt(monday + timedelta(days=14))}." in paused
        clock.now = local(monday + timedelta(days=7), 8)
        result = await send_due(app)
        assert result.owed == 1  # Lan only; Hùng is paused
        assert (await chat.wait_for_bot_messages(lan.id))[0]["message"]["text"]
        assert await chat.messages_from_bot(HUNG_ID) == []
        await chat.say(lan.id, "/nhacnho")
        off = await chat.say(lan.id, "tat")
        assert "Nhắc việc hằng tuần: đang tắt." in off
        # a plain member and a stranger are told why, politely
        member = await chat.say(minh.id, "/nhacnho")
        assert "dành cho bí thư, phó bí thư và quản trị viên" in member
        nobody = await chat.say(stranger.id, "/nhacnho")
        assert "chưa có vai trò" in nobody
    finally:
        await stop_application(app)


async def _secretaries(settings, emulator, count: int, calm: bool = False) -> list[int]:
    """`count` youth secretaries, each of a youth branch with one stalled candidate (or,
    when `calm`, one identified yesterday: nothing to report)."""
    db = await open_database(settings.database_path)
    root = await units.add_unit(db, "province_committee", "Tỉnh ủy Thử")
    cell = await units.add_unit(db, "cell", "Chi bộ Thử", root)
    base = await units.add_unit(db, "youth_base", "Đoàn Thử", root)
    ids = []
    for i in range(count):
        user_id = 50_000 + i
        emulator.add_user(DemoUser(user_id, f"Bí thư {i}", "Lê", f"bt{i}", "vi", ""))
        branch = await units.add_unit(db, "youth_branch", f"Chi đoàn {i}", base)
        person = await people.add_person(db, f"Lê Bí Thư {i}")
        await people.link_identity(db, person, "telegram", str(user_id))
        await people.grant_role(db, person, branch, "youth_secretary")
        cid = await candidates.add_candidate(db, f"Ứng Viên Số {i}", cell,
                                             youth_branch_id=branch, is_doan_vien=True,
                                             birth_date=date(2000, 1, 1))
        await candidates.add_stage_event(
            db, cid, "identified", date.today() - timedelta(days=1) if calm else date(2025, 1, 1))
        ids.append(user_id)
    await db.close()
    return ids


async def test_nothing_to_report_sends_one_line_or_nothing_as_chosen(
        launch, settings, emulator, chat, clock, monday):
    line_user, quiet_user = await _secretaries(settings, emulator, 2, calm=True)
    clock.now = local(monday - timedelta(days=7), 10)
    app = await launch(clock=clock)
    try:
        await chat.say(quiet_user, "/nhacnho")
        saved = await chat.say(quiet_user, "tuan khong co viec")
        assert "Đã lưu." in saved
        clock.now = local(monday, 7, 30)
        result = await send_due(app)
        assert result.counts == {"sent": 1, "empty": 1}
        [line] = _texts(await chat.wait_for_bot_messages(line_user))
        assert line == f"✅ Tuần {monday.isocalendar()[1]}: Chi đoàn 0 không có việc gì cần " \
                       "nhắc; mọi việc đúng tiến độ."
        assert await chat.messages_from_bot(quiet_user) == []
        assert (await send_due(app)).owed == 0  # both weeks settled
    finally:
        await stop_application(app)


async def test_a_user_who_blocked_the_bot_does_not_stop_the_others(
        launch, settings, emulator, chat, clock, org, monday):
    users = await _secretaries(settings, emulator, 5)
    await chat.block(users[2])
    await chat.add_fault("sendMessage", status=429, retry_after=1)  # waited out
    clock.now = local(monday, 8)
    app = await launch(clock=clock)
    try:
        result = await send_due(app)
        assert result.counts == {"sent": 5, "failed": 1}  # Hùng and four others
        for user in users[:2] + users[3:]:
            assert len(await chat.wait_for_bot_messages(user)) == 1
        # an administrator sees who did not get it, and why
        services = app.bot_data[SERVICES_KEY]
        services.settings.admin_ids = [1001]
        await chat.say(1001, "/nhacnho")
        report = await chat.say(1001, "ai chua nhan")
        assert "đã gửi 5, 0 người không có gì để gửi, 1 chưa nhận được." in report
        assert "Lê Bí Thư 2 — đã chặn bot" in report
        # the next sweep does not try the blocked user again, nor anyone else
        assert (await send_due(app)).owed == 0
    finally:
        await stop_application(app)


def _remind(settings, emulator_url: str) -> subprocess.Popen:
    env = {**os.environ, "BOT_TOKEN": "123456:TEST-TOKEN",
           "BOT_API_BASE_URL": f"{emulator_url}/bot",
           "DATABASE_PATH": str(settings.database_path), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "bot", "remind"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def test_a_crash_in_the_middle_of_the_fan_out_then_a_restart_sends_each_once(
        settings, emulator, chat):
    users = await _secretaries(settings, emulator, 40)
    for _ in users:  # every send takes a while, so the crash lands in the middle
        await chat.add_fault("sendMessage", delay=0.4)
    first = _remind(settings, emulator.url)
    deadline = wall.monotonic() + 60
    while emulator.stats()["calls"].get("sendMessage", 0) < 10:
        assert wall.monotonic() < deadline and first.poll() is None, first.stderr.read()
        wall.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    wall.sleep(0.6)  # requests already on the wire are answered by the emulator
    delivered = [u for u in users if emulator.bot_messages(u)]
    assert 10 <= len(delivered) < len(users), "the crash must land mid fan-out"
    await chat.clear_faults()
    second = _remind(settings, emulator.url)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    db = await open_database(settings.database_path)
    status = {int(r[0]): r[1] for r in await db.execute_fetchall(
        "SELECT i.external_id, d.status FROM reminder_deliveries AS d "
        "JOIN identities AS i ON i.person_id = d.person_id")}
    await db.close()
    received = {u: len(emulator.bot_messages(u)) for u in users}
    assert max(received.values()) == 1, "nobody gets the digest twice"
    assert set(status) == set(users)
    # 'sent' means received once; a digest in flight at the crash is 'unknown' (never
    # resent, shown to admins) and normally did arrive, as the emulator answered it.
    assert all(received[u] == 1 for u in users if status[u] == "sent")
    assert all(status[u] == "unknown" for u in users if received[u] == 0)
    assert set(status.values()) <= {"sent", "unknown"}
    assert 1 <= list(status.values()).count("unknown") <= 8  # at most one per worker
