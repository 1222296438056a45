"""A member of cell B meets nothing of cell A's candidates, whatever they try."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

# The same scenarios on Telegram and on Zalo (the emulator's two dialects).
pytestmark = pytest.mark.parametrize("channel", ["telegram", "zalo"], indirect=True)

ATTEMPTS = ("/tiendo Nguyễn Thị Mai", "/capnhat mai", "/sua mai", "/lichsu mai",
            "/tiendo hoang minh tuan", "/donvi thon a", "/baocao thon a", "/baocao",
            "/donvi", "/chitieu", "Nguyễn Thị Mai", "mai đang ở bước nào")


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_a_member_of_cell_b_never_sees_cell_a(org, settings, bot_app, chat, minh,
                                                     attempt):
    def events() -> list:
        with sqlite3.connect(settings.database_path) as db:
            return db.execute("SELECT * FROM stage_events ORDER BY id").fetchall()

    before = events()
    await chat.send(minh.id, attempt)
    await chat.wait_for_bot_messages(minh.id)
    for follow_up in ("1", "hôm nay", "1"):  # try to go on with whatever was offered
        await chat.send(minh.id, follow_up)
        await chat.wait_for_bot_messages(minh.id)
    await asyncio.sleep(0.2)
    seen = []
    for entry in await chat.messages(minh.id):
        if entry["kind"] != "bot":
            continue
        message = entry["message"]
        seen.append(message.get("text") or message.get("caption") or "")
        if "document" in message:
            seen.append((await chat.file(message["document"]["file_id"])).decode("latin-1"))
    shown = "\n".join(seen)
    typed = {attempt, attempt.partition(" ")[2], "1", "hôm nay"}
    for words in typed:  # the bot may quote back what was typed; that is no leak
        shown = shown.replace(f"«{words}»", "«…»")
    for secret in ("Nguyễn Thị Mai", "Hoàng Minh Tuấn", "Bùi Thị Lan Anh", "Chi bộ thôn A"):
        assert secret not in shown, (attempt, shown[:500])
    assert events() == before
