"""The same bot on Zalo: the real Application through ZaloRequest, against the emulator's
Zalo dialect (hex ids, one event per getUpdates, no keyboards, 2 000 characters)."""

from __future__ import annotations

import asyncio
import io
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import httpx
import openpyxl
import pytest

from bot.app import create_application, start_polling, start_zalo_webhook, stop_application
from bot.channels.emulator import DemoUser
from bot.channels.emulator.zalo_api import ZaloApi, zalo_id
from bot.text import split_message
from storage.db import open_database
from storage import candidates, quotas
from storage.invites import create_invite
from storage.units import get_unit
from handlers.reminders import send_due

TOKEN = "1459232241454765289:ZALO-TEST-ACCESS-TOKEN"
NGA = DemoUser(7007, "Nga", "Đinh Thị", "nga", "vi", "Bí thư chi bộ, dùng Zalo")


async def start_zalo(settings, emulator):
    """The bot with CHANNEL=zalo, polling the emulator's Zalo dialect."""
    emulator.add_user(NGA)
    zalo = settings.model_copy(update={"channel": "zalo"})
    app = await create_application(zalo, token=TOKEN, base_url=f"{emulator.url}/zalo/bot",
                                   persistence_interval=1)
    await start_polling(app, poll_timeout=1)
    return app


@pytest.fixture
async def zalo_app(settings, emulator):
    app = await start_zalo(settings, emulator)
    yield app
    await stop_application(app)


def test_emulator_speaks_zalo(emulator):
    emulator.add_user(NGA)
    emulator.inject_text(NGA.id, "/start")
    api = ZaloApi(emulator.state)
    event = api.get_updates({"timeout": "0"})
    assert event["event_name"] == "message.text.received"
    assert event["message"]["chat"] == {"id": zalo_id(NGA.id), "chat_type": "PRIVATE"}
    assert isinstance(event["message"]["message_id"], str) and event["message"]["date"] > 10**12
    assert api.get_updates({"timeout": "0"}) is None  # consumed: no offsets on Zalo
    assert api.get_me({})["account_type"] == "BASIC"


async def test_start_on_zalo_has_no_buttons_and_commands_work(zalo_app, chat, emulator):
    greeting = await chat.say(NGA.id, "/start")
    assert "/hoi" in greeting  # the command list, as on Telegram
    sent = [e for e in await chat.messages(NGA.id) if e["kind"] == "bot"]
    assert sent and all("reply_markup" not in e["message"] for e in sent)
    assert all(e.get("channel") == "zalo" for e in sent)


async def test_a_form_completes_on_zalo_by_typing(zalo_app, settings, chat, org, today):
    """Join by an invitation code, then add a candidate: every choice answered by typing
    its number or word, since Zalo shows no buttons."""
    db = await open_database(settings.database_path)
    now = datetime.now(timezone.utc)
    await create_invite(db, "ZALO-CDEF", org.cell_a, "cell_secretary", None, now,
                        now + timedelta(days=7))
    await db.close()
    joined = await chat.say(NGA.id, "zalo-cdef")
    assert "Chi bộ thôn A" in joined
    first = await chat.say(NGA.id, "/them")
    assert "họ và tên" in first.lower()
    assert "Ngày sinh" in await chat.say(NGA.id, "tran thi hue")
    gender = await chat.say(NGA.id, "02/03/2005")
    assert "1. Nam" in gender and "2. Nữ" in gender  # numbered, to be typed
    assert "1. Chi bộ thôn A" in await chat.say(NGA.id, "nu")
    assert "đoàn viên" in (await chat.say(NGA.id, "1")).lower()
    assert "từ đâu" in await chat.say(NGA.id, "khong")
    assert "giúp đỡ" in await chat.say(NGA.id, "sinh vien")
    assert "xác định" in await chat.say(NGA.id, "/skip")
    assert "ghi chú" in (await chat.say(NGA.id, "hom nay")).lower()
    summary = await chat.say(NGA.id, "/skip")
    assert "Tran Thi Hue" in summary and "02/03/2005" in summary
    assert "Đã lưu Tran Thi Hue" in await chat.say(NGA.id, "1")
    with sqlite3.connect(settings.database_path) as conn:
        [(cell, segment)] = conn.execute(
            "SELECT cell_id, segment FROM candidates WHERE full_name = 'Tran Thi Hue'")
        [(channel, person)] = conn.execute(
            "SELECT i.channel, p.full_name FROM identities AS i "
            "JOIN people AS p ON p.id = i.person_id JOIN roles AS r ON r.person_id = p.id "
            "WHERE r.role = 'cell_secretary' AND i.channel = 'zalo'")
    assert (cell, segment) == (org.cell_a, "university")
    assert channel == "zalo"


async def test_long_answers_are_split_at_sentence_ends_under_2000(zalo_app, chat, emulator):
    await chat.say(NGA.id, "/start")
    await zalo_app.bot.send_message(
        (await zalo_app.bot.request.ids.local("peer", zalo_id(NGA.id))),
        "Câu trả lời dài. " * 250)
    parts = [e["message"]["text"] for e in await chat.wait_for_bot_messages(NGA.id, count=3)]
    assert all(len(p) <= 2000 for p in parts) and all(p.endswith("dài.") for p in parts)
    assert " ".join(parts) == ("Câu trả lời dài. " * 250).strip()


def test_split_message_prefers_paragraphs_then_sentences():
    text = "Đoạn một. " * 50 + "\n\n" + "Đoạn hai, câu dài? " * 100
    parts = split_message(text, 600)
    assert all(len(p) <= 600 for p in parts)
    assert parts[0].endswith("Đoạn một.")  # the paragraph break came first
    assert all(p.endswith(("?", ".")) for p in parts)


SECRET = "s3cret-from-setWebhook"


async def start_webhook_app(settings, emulator):
    """The Zalo bot in webhook mode (public URL https://bot.example.vn/zalo), listening on
    a free local port; returns the app, its webhook server and the local base URL."""
    emulator.add_user(NGA)
    zalo = settings.model_copy(update={
        "channel": "zalo", "webhook_url": "https://bot.example.vn/zalo",
        "webhook_secret": SECRET, "webhook_listen": "127.0.0.1", "webhook_port": 0})
    app = await create_application(zalo, token=TOKEN, base_url=f"{emulator.url}/zalo/bot")
    webhook = await start_zalo_webhook(app)
    return app, webhook, f"http://127.0.0.1:{webhook.port}"


def text_event(text: str, number: int) -> dict:
    """A Zalo text event from Nga, as Zalo posts it."""
    return {"event_name": "message.text.received", "message": {
        "chat": {"id": zalo_id(NGA.id), "chat_type": "PRIVATE"}, "text": text,
        "message_id": f"{number:020x}", "date": 1766619597466,
        "from": {"id": zalo_id(NGA.id), "first_name": "Nga"}}}


async def test_webhook_checks_the_secret_and_handles_each_event_once(settings, emulator, chat):
    app, webhook, local = await start_webhook_app(settings, emulator)
    url = f"{local}/zalo"
    event = text_event("/start", 1)
    try:
        async with httpx.AsyncClient() as http:
            wrong = await http.post(url, json=event,
                                    headers={"X-Bot-Api-Secret-Token": "guess-guess"})
            missing = await http.post(url, json=event)
            assert (wrong.status_code, missing.status_code) == (403, 403)
            right = {"X-Bot-Api-Secret-Token": SECRET}
            assert (await http.post(url, json=event, headers=right)).status_code == 200
            [greeting] = await chat.wait_for_bot_messages(NGA.id)
            assert "/hoi" in greeting["message"]["text"]
            # Zalo retries a delivery: the same event is acknowledged, not handled again
            assert (await http.post(url, json=event, headers=right)).status_code == 200
            assert (await http.post(url.replace("/zalo", "/other"), json=event,
                                    headers=right)).status_code == 404
            # a sticker, or a protected (under-age) user: no text, a polite answer
            sticker = {"event_name": "message.unsupported.received", "message": {
                **event["message"], "message_id": "2a", "text": None}}
            assert (await http.post(url, json=sticker, headers=right)).status_code == 200
            [answer] = await chat.wait_for_bot_messages(NGA.id)
            assert "chỉ đọc được tin nhắn chữ" in answer["message"]["text"]
            # an event with no chat cannot be answered: acknowledged, dropped, not stored
            no_chat = {"event_name": "message.text.received", "message": {"text": "hi"}}
            assert (await http.post(url, json=no_chat, headers=right)).status_code == 200
            info = await http.post(f"{emulator.url}/zalo/bot{TOKEN}/getWebhookInfo", json={})
            assert info.json()["result"]["url"] == "https://bot.example.vn/zalo"
        await asyncio.sleep(0.5)
        assert await chat.messages_from_bot(NGA.id) == []
        with sqlite3.connect(settings.database_path) as conn:
            assert conn.execute("SELECT count(*) FROM zalo_events WHERE event_key LIKE "
                                "'%:None'").fetchone()[0] == 0
    finally:
        await webhook.stop()
        await stop_application(app)



async def test_one_person_on_both_channels_shares_roles_through_a_link_code(
        launch, settings, emulator, chat, org, lan):
    telegram = await launch()
    try:
        offer = await chat.say(lan.id, "/lienket")
        code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", offer).group(0)
        assert "Zalo" in offer
    finally:
        await stop_application(telegram)
    zalo = await start_zalo(settings, emulator)
    try:
        assert "chưa có vai trò" in await chat.say(NGA.id, "/toi")
        linked = await chat.say(NGA.id, code.lower())
        assert "Đã liên kết" in linked and "Nguyễn Thị Lan" in linked
        assert "Bí thư chi bộ — Chi bộ thôn A" in await chat.say(NGA.id, "/toi")
        card = await chat.say(NGA.id, "/tiendo mai")
        assert card.startswith("Nguyễn Thị Mai — Chi bộ thôn A")
        assert "đã được dùng" in await chat.say(NGA.id, code)  # single use
    finally:
        await stop_application(zalo)
    with sqlite3.connect(settings.database_path) as conn:
        channels = conn.execute(
            "SELECT group_concat(channel) FROM (SELECT i.channel FROM identities AS i "
            "JOIN people AS p ON p.id = i.person_id WHERE p.full_name = 'Nguyễn Thị Lan' "
            "ORDER BY i.channel)").fetchone()[0]
    assert channels == "telegram,zalo"


async def test_the_weekly_digest_reaches_a_zalo_secretary_once(zalo_app, settings, chat, org):
    db = await open_database(settings.database_path)
    base = (await get_unit(db, org.branch_a))["parent_id"]
    now = datetime.now(timezone.utc)
    await create_invite(db, "ZALO-DEFG", base, "youth_secretary", None, now,
                        now + timedelta(days=7))
    waiting = await candidates.add_candidate(db, "Đỗ Thị Thu", org.cell_a, is_doan_vien=True,
                                             youth_branch_id=org.branch_a)
    await candidates.add_stage_event(db, waiting, "identified", now.date() - timedelta(days=100))
    await db.close()
    assert "bí thư đoàn của Đoàn xã An Bình" in await chat.say(NGA.id, "ZALO-DEFG")
    result = await send_due(zalo_app, any_time=True)
    assert result.counts["sent"] >= 1
    [digest] = await chat.wait_for_bot_messages(NGA.id)
    text = digest["message"]["text"]
    assert text.startswith("📋 Nhắc việc tuần") and "Đoàn xã An Bình" in text
    assert "Đỗ Thị Thu" in text
    assert "reply_markup" not in digest["message"] and len(text) <= 2000
    assert "Bấm vào tên" not in text and "gõ /tiendo và tên" in text  # Zalo: no buttons
    assert (await send_due(zalo_app, any_time=True)).owed == 0
    assert await chat.messages_from_bot(NGA.id) == []


async def _join(settings, org, code: str, role: str = "cell_secretary") -> None:
    db = await open_database(settings.database_path)
    now = datetime.now(timezone.utc)
    await create_invite(db, code, org.cell_a, role, None, now, now + timedelta(days=7))
    await quotas.set_quota(db, org.cell_a, "year", date(now.year, 1, 1),
                           date(now.year, 12, 31), 4)
    await db.close()


async def test_reports_without_a_public_address_say_where_the_files_are(
        zalo_app, settings, chat, org):
    await _join(settings, org, "ZALO-EFGH")
    await chat.say(NGA.id, "ZALO-EFGH")
    await chat.send(NGA.id, "/baocao")
    document, chart = [e["message"]["text"] for e in
                       await chat.wait_for_bot_messages(NGA.id, count=2, timeout=20)]
    assert document.startswith("Chi bộ thôn A: ") and "/lienket" in document
    assert "/lienket" in chart


async def test_reports_become_a_link_and_a_photo_served_by_the_webhook(
        settings, emulator, chat, org):
    await _join(settings, org, "ZALO-FGHJ")
    app, webhook, local = await start_webhook_app(settings, emulator)
    headers = {"X-Bot-Api-Secret-Token": SECRET}

    try:
        async with httpx.AsyncClient() as http:
            await http.post(f"{local}/zalo", json=text_event("ZALO-FGHJ", 1), headers=headers)
            await chat.wait_for_bot_messages(NGA.id)
            await http.post(f"{local}/zalo", json=text_event("/baocao", 2), headers=headers)
            document, photo = [e["message"] for e in
                               await chat.wait_for_bot_messages(NGA.id, count=2, timeout=20)]
            link = re.search(r"https://bot\.example\.vn(/files/\S+\.xlsx)", document["text"])
            assert document["text"].startswith("Chi bộ thôn A: ") and link
            workbook = await http.get(local + link.group(1))
            assert workbook.status_code == 200
            sheets = openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
            assert len(sheets) >= 2
            assert photo["photo_url"].startswith("https://bot.example.vn/files/")
            png = await http.get(local + photo["photo_url"].removeprefix(
                "https://bot.example.vn"))
            assert png.content.startswith(b"\x89PNG")
            guessed = await http.get(f"{local}/files/not-a-token/x.png")
            assert guessed.status_code == 404
    finally:
        await webhook.stop()
        await stop_application(app)


def test_each_dialect_gets_only_its_own_users_updates(emulator):
    """The demo runs a Telegram and a Zalo bot on one emulator: a user marked for one app
    is seen only by that dialect; users marked for none by whichever polls."""
    emulator.add_user(DemoUser(8101, "Tê", channel="telegram"))
    emulator.add_user(DemoUser(8102, "Da", channel="zalo"))
    for user in (8101, 8102, 1001):
        emulator.inject_text(user, f"xin chào {user}")
    zalo = ZaloApi(emulator.state)
    first, second = zalo.get_updates({"timeout": "0"}), zalo.get_updates({"timeout": "0"})
    assert [first["message"]["text"], second["message"]["text"]] == \
        ["xin chào 8102", "xin chào 1001"]
    assert zalo.get_updates({"timeout": "0"}) is None
    telegram = emulator.state.get_updates(timeout=0)
    assert [u["message"]["text"] for u in telegram] == ["xin chào 8101"]


async def test_a_zalo_secretary_can_start_from_an_invitation_printed_by_the_cli(
        zalo_app, settings, chat, org):
    env = {**os.environ, "DATABASE_PATH": str(settings.database_path), "BOT_TOKEN": ""}
    printed = subprocess.run([sys.executable, "-m", "bot", "invite", f"#{org.cell_b}",
                              "cell_secretary"], env=env, capture_output=True, text=True,
                             timeout=60)
    assert printed.returncode == 0, printed.stderr
    code = re.match(r"([A-Z2-9]{4}-[A-Z2-9]{4}) — cell_secretary of Chi bộ thôn B",
                    printed.stdout).group(1)
    assert "bí thư chi bộ của Chi bộ thôn B" in await chat.say(NGA.id, code)
    assert "Trịnh Thị Hoa" in await chat.say(NGA.id, "/tiendo hoa")


async def test_a_zalo_chat_linked_to_a_configured_admin_is_an_admin(
        launch, settings, emulator, chat, org, lan):
    telegram = await launch()
    try:
        offer = await chat.say(lan.id, "/lienket")
    finally:
        await stop_application(telegram)
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", offer).group(0)
    settings.admin_ids = [lan.id]  # a Telegram id, as ADMIN_IDS holds
    zalo = await start_zalo(settings, emulator)
    try:
        assert "Chỉ quản trị viên" in await chat.say(NGA.id, "/nhatky")
        await chat.say(NGA.id, code)
        log = await chat.say(NGA.id, "/nhatky")
        assert log.startswith("Hoạt động gần đây:") and "liên kết thêm" in log
    finally:
        await stop_application(zalo)


async def test_zalos_bare_429_is_waited_out_and_the_answer_arrives_once(zalo_app, chat):
    await chat.add_fault("sendMessage", status=429)  # Zalo's 429 carries no retry_after
    started = asyncio.get_running_loop().time()
    await chat.say(NGA.id, "/help")
    assert asyncio.get_running_loop().time() - started >= 1.0  # waited a second
    await asyncio.sleep(0.5)
    assert await chat.messages_from_bot(NGA.id) == []  # and nothing twice
    assert (await chat.stats())["faults_served"] == {"sendMessage": 1}
