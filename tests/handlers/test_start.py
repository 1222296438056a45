"""End to end through the emulator: greeting, help, unknown commands, resilience, restart."""

from __future__ import annotations

import asyncio

from telegram.ext import CommandHandler

from bot.app import stop_application

BOT_USERNAME = "tro_ly_ptdv_bot"


def texts(entries: list[dict]) -> list[str]:
    return [entry["message"]["text"] for entry in entries]


async def test_start_greets_in_vietnamese_and_lists_commands(bot_app, chat, lan):
    await chat.send(lan.id, "/start")
    [reply] = texts(await chat.wait_for_bot_messages(lan.id))
    assert reply.startswith("Xin chào Lan!")
    assert "Trợ lý Phát triển Đảng viên" in reply
    assert "/help — Danh sách lệnh và cách dùng" in reply


async def test_command_menu_is_registered_in_vietnamese(bot_app, chat, lan):
    commands = await chat.commands()
    described = {c["command"]: c["description"] for c in commands}
    assert described["help"] == "Danh sách lệnh và cách dùng"
    assert set(described) >= {"start", "help", "cancel"}


async def test_unknown_command_gets_a_pointer_to_help(bot_app, chat, lan):
    await chat.send(lan.id, "/ketnap abc")
    [reply] = texts(await chat.wait_for_bot_messages(lan.id))
    assert reply == "Mình chưa biết lệnh /ketnap. Gõ /help để xem các lệnh mình hiểu."


async def test_cancel_with_nothing_in_progress_says_so(bot_app, chat, lan):
    await chat.send(lan.id, "/cancel")
    [reply] = texts(await chat.wait_for_bot_messages(lan.id))
    assert reply == "Không có thao tác nào đang dở để hủy."


async def test_a_very_long_message_gets_a_polite_reply(bot_app, chat, lan):
    await chat.send(lan.id, "kết nạp " * 500)
    [reply] = texts(await chat.wait_for_bot_messages(lan.id))
    assert "4.000 ký tự" in reply and "/help" in reply


async def test_in_a_group_only_commands_addressed_to_the_bot_are_answered(bot_app, chat, lan):
    group = -5001
    await chat.send(lan.id, "/lenhla", chat_id=group)
    await chat.send(lan.id, f"/help@{BOT_USERNAME}", chat_id=group)
    replies = texts(await chat.wait_for_bot_messages(group, count=1))
    await asyncio.sleep(0.3)  # let a wrong extra reply to /lenhla arrive, if any
    replies += texts(await chat.messages_from_bot(group))
    assert len(replies) == 1 and replies[0].startswith("Các lệnh:")


async def test_reply_arrives_exactly_once_after_429_then_500(bot_app, chat, lan):
    await chat.add_fault("sendMessage", status=429, retry_after=1)
    await chat.add_fault("sendMessage", status=500)
    await chat.send(lan.id, "/help")
    replies = texts(await chat.wait_for_bot_messages(lan.id, timeout=10))
    await asyncio.sleep(0.5)
    replies += texts(await chat.messages_from_bot(lan.id))
    assert replies == [replies[0]] and replies[0].startswith("Các lệnh:")
    assert (await chat.stats())["calls"]["sendMessage"] == 3


async def test_unexpected_error_is_reported_politely(bot_app, chat, lan):
    async def broken(update, context):
        raise RuntimeError("simulated bug")

    bot_app.add_handler(CommandHandler("vo", broken), group=-1)
    await chat.send(lan.id, "/vo")
    replies = texts(await chat.wait_for_bot_messages(lan.id))
    assert any("không bị mất" in reply for reply in replies)


async def test_user_is_remembered_after_the_bot_restarts(launch, chat, lan):
    first = await launch()
    await chat.send(lan.id, "/start")
    [greeting] = texts(await chat.wait_for_bot_messages(lan.id))
    assert greeting.startswith("Xin chào Lan!")
    await stop_application(first)

    second = await launch()
    try:
        await chat.send(lan.id, "/start")
        [again] = texts(await chat.wait_for_bot_messages(lan.id))
        assert again.startswith("Chào mừng Lan quay lại!")
    finally:
        await stop_application(second)
