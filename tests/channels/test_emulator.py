"""Tests of the local Telegram Bot API emulator (bot.channels.emulator)."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
import zlib

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.emulator import DemoUser, Emulator, EmulatorClient, EmulatorError
from bot.channels.emulator.formatting import EntityParseError, parse_html, user_text_entities

LAN = DemoUser(
    id=1001,
    first_name="Lan",
    last_name="Nguyễn",
    username="lan",
    description="Bí thư chi bộ",
)
INLINE = {"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "yes"}, {"text": "Không", "callback_data": "no"}]]}


@pytest.fixture
def emu():
    emulator = Emulator(port=0)
    emulator.add_user(LAN)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
async def http(emu):
    async with httpx.AsyncClient(base_url=emu.url, timeout=10) as client:
        yield client


@pytest.fixture
async def client(emu):
    async with EmulatorClient(emu.url) as control:
        yield control


async def bot_call(http: httpx.AsyncClient, method: str, **params) -> dict:
    """Call a Bot API method the way PTB does (form data, non-strings JSON-encoded)."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    response = await http.post(f"/bot123:abc/{method}", data=data)
    payload = response.json()
    assert (response.status_code == 200) == payload["ok"]
    return payload


def png_bytes(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return b"\x89PNG\r\n\x1a\n" + ihdr


# --------------------------------------------------------------------------- formatting


def test_parse_html_nested_entities_with_utf16_offsets():
    text, entities = parse_html('😀 <b>Chào <i>bạn</i></b> &lt;3 <a href="https://x.vn">link</a>')
    assert text == "😀 Chào bạn <3 link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 8},
        {"type": "italic", "offset": 8, "length": 3},
        {"type": "text_link", "url": "https://x.vn", "offset": 15, "length": 4},
    ]


def test_parse_html_pre_code_language_and_errors():
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert (text, entities) == ("x = 1", [{"type": "pre", "offset": 0, "length": 5, "language": "python"}])
    for bad in ("1 < 2", "<b>x", "<b>x</i>", "<div>x</div>", '<span class="x">y</span>'):
        with pytest.raises(EntityParseError):
            parse_html(bad)


def test_user_text_entities_commands_and_mentions():
    assert user_text_entities("/start abc") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert user_text_entities("/help@tro_ly_ptdv_bot") == [{"type": "bot_command", "offset": 0, "length": 21}]
    assert user_text_entities("chào @tro_ly_ptdv_bot") == [{"type": "mention", "offset": 5, "length": 16}]
    assert user_text_entities("xin chào") == []


# --------------------------------------------------------------------------- Bot API


async def test_get_me_webhook_and_unknown_method(emu, http):
    me = await bot_call(http, "getMe")
    assert me["result"]["username"] == "tro_ly_ptdv_bot"
    assert me["result"]["is_bot"] is True
    emu.inject_text(LAN.id, "trước khi bot chạy")
    info = await bot_call(http, "getWebhookInfo")
    assert info["result"]["pending_update_count"] == 1
    assert (await bot_call(http, "deleteWebhook", drop_pending_updates=True))["result"] is True
    assert (await bot_call(http, "getUpdates"))["result"] == []
    response = await http.post("/bot123:abc/doesNotExist")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


async def test_get_updates_offset_confirms_and_limit(emu, http):
    for text in ("a", "b", "c"):
        emu.inject_text(LAN.id, text)
    first = (await bot_call(http, "getUpdates", limit=2))["result"]
    assert [u["message"]["text"] for u in first] == ["a", "b"]
    rest = (await bot_call(http, "getUpdates", offset=first[-1]["update_id"] + 1))["result"]
    assert [u["message"]["text"] for u in rest] == ["c"]
    done = (await bot_call(http, "getUpdates", offset=rest[-1]["update_id"] + 1))["result"]
    assert done == []
    assert emu.stats()["pending_updates"] == 0


async def test_get_updates_long_poll_wakes_on_inject(emu, http):
    async def inject_later():
        await asyncio.sleep(0.2)
        emu.inject_text(LAN.id, "/start")

    started = time.monotonic()
    task = asyncio.create_task(inject_later())
    updates = (await bot_call(http, "getUpdates", timeout=5))["result"]
    await task
    assert time.monotonic() - started < 2
    message = updates[0]["message"]
    assert message["text"] == "/start"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["chat"] == {"id": 1001, "type": "private", "first_name": "Lan", "last_name": "Nguyễn", "username": "lan"}


def test_stop_wakes_pending_long_poll():
    emulator = Emulator().start()
    result: dict = {}

    def poll():
        try:
            result["response"] = httpx.post(f"{emulator.url}/bot1:a/getUpdates", data={"timeout": "30"}, timeout=40)
        except httpx.HTTPError as error:
            result["error"] = error

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    emulator.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 3


async def test_send_message_rules(emu, http):
    sent = await bot_call(http, "sendMessage", chat_id=1001, text="<b>Chào</b> bạn", parse_mode="HTML", reply_markup=INLINE)
    message = sent["result"]
    assert message["message_id"] == 1
    assert message["text"] == "Chào bạn"
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert message["reply_markup"] == INLINE
    assert message["from"]["id"] == emu.bot_user["id"]
    keyboard = {"keyboard": [["Có", "Không"]], "resize_keyboard": True}
    plain = (await bot_call(http, "sendMessage", chat_id=1001, text="123", reply_markup=keyboard))["result"]
    assert plain["text"] == "123" and "reply_markup" not in plain  # only inline markup is echoed
    entry = emu.messages(1001)[-1]
    assert entry["kind"] == "bot" and entry["reply_markup"] == keyboard

    too_long = await bot_call(http, "sendMessage", chat_id=1001, text="x" * 4097)
    assert too_long["description"] == "Bad Request: message is too long"
    assert (await bot_call(http, "sendMessage", chat_id=1001, text="x" * 4096))["ok"]
    empty = await bot_call(http, "sendMessage", chat_id=1001, text="")
    assert empty["description"] == "Bad Request: message text is empty"
    unknown = await bot_call(http, "sendMessage", chat_id=424242, text="hi")
    assert (unknown["error_code"], unknown["description"]) == (400, "Bad Request: chat not found")
    bad_html = await bot_call(http, "sendMessage", chat_id=1001, text="a < b", parse_mode="HTML")
    assert "can't parse entities" in bad_html["description"]


async def test_json_body_and_group_chat(emu, http):
    sent = emu.inject_text(LAN.id, "chào nhóm", chat_id=-5001, chat_title="Chi bộ 3")
    assert sent["message"]["chat"] == {"id": -5001, "type": "group", "title": "Chi bộ 3"}
    response = await http.post("/bot1:a/sendMessage", json={"chat_id": -5001, "text": "Chào cả nhóm", "reply_parameters": {"message_id": 1}})
    result = response.json()["result"]
    assert result["message_id"] == 2
    assert result["reply_to_message"]["text"] == "chào nhóm"


async def test_edit_message_text_and_markup(emu, http):
    sent = (await bot_call(http, "sendMessage", chat_id=1001, text="Bước 1", reply_markup=INLINE))["result"]
    message_id = sent["message_id"]
    edited = await bot_call(http, "editMessageText", chat_id=1001, message_id=message_id, text="Bước 2", reply_markup=INLINE)
    assert edited["result"]["text"] == "Bước 2" and "edit_date" in edited["result"]
    same = await bot_call(http, "editMessageText", chat_id=1001, message_id=message_id, text="Bước 2", reply_markup=INLINE)
    assert same["description"].startswith("Bad Request: message is not modified")
    removed = await bot_call(http, "editMessageReplyMarkup", chat_id=1001, message_id=message_id)
    assert "reply_markup" not in removed["result"]
    missing = await bot_call(http, "editMessageText", chat_id=1001, message_id=999, text="x")
    assert missing["description"] == "Bad Request: message to edit not found"
    edits = [e for e in emu.messages(1001) if e["kind"] == "edit"]
    assert [e["edit_count"] for e in edits] == [1, 2]
    assert emu.message(1001, message_id)["text"] == "Bước 2"
    assert (await bot_call(http, "deleteMessage", chat_id=1001, message_id=message_id))["result"] is True
    last = emu.messages(1001)[-1]
    assert (last["kind"], last["message_id"]) == ("delete", message_id)
    assert emu.message(1001, message_id) is None


async def test_press_button_and_answer_callback(emu, http, client):
    sent = (await bot_call(http, "sendMessage", chat_id=1001, text="Chọn", reply_markup=INLINE))["result"]
    pressed = await client.press(LAN.id, sent["message_id"], text="Không")
    query = pressed["callback_query"]
    assert query["data"] == "no" and query["message"]["message_id"] == sent["message_id"]
    assert query["from"]["id"] == LAN.id
    updates = (await bot_call(http, "getUpdates"))["result"]
    assert updates[-1]["callback_query"]["id"] == query["id"]
    answered = await bot_call(http, "answerCallbackQuery", callback_query_id=query["id"], text="Đã ghi nhận")
    assert answered["result"] is True
    [answer] = await client.wait_for(LAN.id, kinds=("callback_answer",), after=0)
    assert answer["text"] == "Đã ghi nhận" and answer["show_alert"] is False
    again = await bot_call(http, "answerCallbackQuery", callback_query_id=query["id"])
    assert again["error_code"] == 400

    with pytest.raises(EmulatorError) as missing:
        await client.press(LAN.id, 999, data="yes")
    assert missing.value.status == 404
    with pytest.raises(EmulatorError) as no_button:
        await client.press(LAN.id, sent["message_id"], data="maybe")
    assert no_button.value.status == 400


async def test_send_document_and_photo_multipart(emu, http, client):
    payload = bytes(range(256)) * 10 + b"\r\n--boundary\r\n"
    response = await http.post(
        "/bot1:a/sendDocument",
        data={"chat_id": "1001", "caption": "Hồ sơ <mẫu>"},
        files={"document": ("Hồ sơ đảng viên.docx", payload, "application/octet-stream")},
    )
    document = response.json()["result"]["document"]
    assert document["file_name"] == "Hồ sơ đảng viên.docx"
    assert document["file_size"] == len(payload)
    assert response.json()["result"]["caption"] == "Hồ sơ <mẫu>"
    served = await http.get(f"/control/files/{document['file_id']}")
    assert served.content == payload
    assert "filename*=UTF-8''H%E1%BB%93" in served.headers["content-disposition"]
    assert await client.file(document["file_id"]) == payload
    file_info = (await bot_call(http, "getFile", file_id=document["file_id"]))["result"]
    assert (await http.get(f"/file/bot1:a/{file_info['file_path']}")).content == payload

    photo_response = await http.post(
        "/bot1:a/sendPhoto", data={"chat_id": "1001"}, files={"photo": ("chart.png", png_bytes(640, 480), "image/png")}
    )
    [size] = photo_response.json()["result"]["photo"]
    assert (size["width"], size["height"]) == (640, 480)
    assert (await http.get(f"/control/files/{size['file_id']}")).headers["content-type"] == "image/png"
    resent = await bot_call(http, "sendDocument", chat_id=1001, document=document["file_id"])
    assert resent["result"]["document"]["file_id"] == document["file_id"]


async def test_faults_and_stats(emu, http, client):
    await client.add_fault("sendMessage", status=429, retry_after=3)
    limited = await bot_call(http, "sendMessage", chat_id=1001, text="hi")
    assert limited == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert emu.bot_messages(1001) == []  # not delivered
    emu.add_fault("*", status=502)
    await bot_call(http, "getUpdates")  # "*" never hits getUpdates
    assert (await bot_call(http, "sendChatAction", chat_id=1001, action="typing"))["error_code"] == 502
    emu.add_fault("sendMessage", delay=0.3)
    started = time.monotonic()
    assert (await bot_call(http, "sendMessage", chat_id=1001, text="chậm"))["ok"]
    assert time.monotonic() - started >= 0.3
    stats = await client.stats()
    assert stats["calls"]["sendMessage"] == 2
    assert stats["faults_served"] == {"sendMessage": 2, "sendChatAction": 1}
    emu.add_fault("sendMessage", status=500)
    await client.clear_faults()
    assert (await bot_call(http, "sendMessage", chat_id=1001, text="ok"))["ok"]


async def test_rate_limit(emu, http, client):
    await client.set_rate_limit(3)
    results = [await bot_call(http, "sendMessage", chat_id=1001, text=str(i)) for i in range(5)]
    assert [r["ok"] for r in results] == [True, True, True, False, False]
    assert results[-1]["parameters"] == {"retry_after": 1}
    assert (await client.stats())["rate_limited"] == 2
    await client.set_rate_limit(None)
    assert (await bot_call(http, "sendMessage", chat_id=1001, text="ok"))["ok"]


async def test_commands_reset_and_users(emu, http, client):
    commands = [{"command": "start", "description": "Bắt đầu"}]
    await bot_call(http, "setMyCommands", commands=commands, language_code="vi")
    assert (await bot_call(http, "getMyCommands", language_code="vi"))["result"] == commands
    assert await client.all_commands() == [{"scope": {"type": "default"}, "language_code": "vi", "commands": commands}]
    assert await client.commands() == commands  # what a Vietnamese user sees
    assert await client.commands(language_code="en") == []
    english = [{"command": "help", "description": "Help"}]
    await bot_call(http, "setMyCommands", commands=english, scope={"type": "all_private_chats"})
    assert await client.commands(language_code="en") == english  # more specific scope wins
    assert await client.commands(language_code="vi", chat_id=-5001) == commands  # groups fall back to default
    await client.add_user({"id": 1002, "first_name": "Minh", "description": "Đoàn viên"})
    assert [u["id"] for u in await client.users()] == [1001, 1002]
    await client.send(1003, "xin chào")  # unknown users are auto-created
    assert any(u.first_name == "User 1003" for u in emu.users())
    await client.reset()
    assert emu.messages(1003) == [] and (await client.stats())["pending_updates"] == 0
    assert len(await client.users()) == 3


async def test_control_errors_and_transcript_long_poll(emu, http, client):
    assert (await http.post("/control/send", json={"user_id": 1001, "text": "x" * 4097})).status_code == 400
    assert (await http.post("/control/send", json={"text": "hi"})).status_code == 400
    assert (await http.get("/control/nope")).status_code == 404

    async def reply_later():
        await asyncio.sleep(0.2)
        await bot_call(http, "sendMessage", chat_id=1001, text="Trả lời")

    sent = await client.send(LAN.id, "Câu hỏi")
    task = asyncio.create_task(reply_later())
    [reply] = await client.wait_for_bot_messages(LAN.id, timeout=3)
    await task
    assert reply["message"]["text"] == "Trả lời" and reply["seq"] > sent["seq"]
    with pytest.raises(AssertionError, match="Trả lời"):
        await client.wait_for_bot_messages(LAN.id, timeout=0.3)


async def test_web_page_is_served(emu, http):
    page = await http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Trợ lý Phát triển Đảng viên — bản dùng thử" in page.text
    assert "<script src" not in page.text and "http://" not in page.text.replace(emu.url, "")
    assert (await http.get("/healthz")).json() == {"ok": True}


# --------------------------------------------------------------------------- real PTB Application


async def test_ptb_application_round_trip(emu, client):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tiếp tục", callback_data="next")]])
        await update.message.reply_html(f"Xin chào <b>{update.effective_user.first_name}</b>!", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Đã bấm")
        await update.callback_query.edit_message_text("Bước tiếp theo")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    app = ApplicationBuilder().token("123:abc").base_url(f"{emu.url}/bot").build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        await app.bot.set_my_commands([("start", "Bắt đầu")])
        await client.send(LAN.id, "/start")
        [greeting] = await client.wait_for_bot_messages(LAN.id)
        assert greeting["message"]["text"] == "Xin chào Lan!"
        assert greeting["parse_mode"] == "HTML"

        await client.press(LAN.id, greeting["message"]["message_id"], data="next")
        answer, edit = await client.wait_for(LAN.id, kinds=("callback_answer", "edit"), count=2)
        assert answer["text"] == "Đã bấm"
        assert edit["message"]["text"] == "Bước tiếp theo" and "reply_markup" not in edit["message"]

        await client.send(LAN.id, "Tôi muốn kết nạp Đảng")
        [echoed] = await client.wait_for_bot_messages(LAN.id)
        assert echoed["message"]["text"] == "Tôi muốn kết nạp Đảng"
        assert await client.commands() == [{"command": "start", "description": "Bắt đầu"}]
        assert await client.messages_from_bot(LAN.id) == []
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
