"""Joining a unit by invitation: /moi, /start <code> or the typed code, /toi."""

from __future__ import annotations

import re

import pytest

# The same scenarios on Telegram and on Zalo (the emulator's two dialects).
pytestmark = pytest.mark.parametrize("channel", ["telegram", "zalo"], indirect=True)


async def invite(chat, lan, channel: str, role_word: str = "Thành viên") -> str:
    """Lan invites someone to her cell; returns the code."""
    units = await chat.say(lan.id, "/moi")
    assert "1. Chi bộ thôn A" in units and "thôn B" not in units
    roles = await chat.say(lan.id, "1")
    assert "Quản trị" not in roles  # only admins hand out the admin role
    await chat.say(lan.id, role_word)
    created = await chat.say(lan.id, "lưu")
    if channel == "telegram":
        assert "t.me/tro_ly_ptdv_bot?start=" in created
    else:  # Zalo has no start links: the code is typed
        assert "t.me" not in created and "trên Zalo hoặc Telegram" in created
    return re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b", created).group(1)


async def test_an_invited_person_joins_and_can_then_see_the_cell(
        channel, org, bot_app, chat, lan, stranger):
    code = await invite(chat, lan, channel)
    welcome = await chat.say(stranger.id, f"/start {code}")
    assert "Chào mừng" in welcome and "Chi bộ thôn A" in welcome
    assert "Chi bộ thôn A" in await chat.say(stranger.id, "/toi")
    card = await chat.say(stranger.id, "/tiendo hoang minh tuan")
    assert card.startswith("Hoàng Minh Tuấn — Chi bộ thôn A")
    refused = await chat.say(stranger.id, "/tiendo trinh thi hoa")  # cell B: not covered
    assert "không tìm thấy" in refused.lower()


async def test_a_code_can_be_typed_in_any_case_and_is_used_only_once(
        channel, org, bot_app, chat, lan, stranger, minh):
    code = await invite(chat, lan, channel)
    typed = code.lower().replace("-", " ")
    assert "Chào mừng" in await chat.say(stranger.id, typed)
    assert "đã được dùng" in await chat.say(minh.id, f"/start {code}")


async def test_an_expired_or_unknown_code_is_refused(channel, org, launch, chat, lan, stranger,
                                                      clock):
    from bot.app import stop_application

    app = await launch(clock=clock)
    try:
        code = await invite(chat, lan, channel)
        clock.advance(days=8)
        assert "hết hạn" in await chat.say(stranger.id, f"/start {code}")
        assert "không tồn tại" in await chat.say(stranger.id, "/start ABCD-EFGH")
        assert "chưa có vai trò" in await chat.say(stranger.id, "/toi")
    finally:
        await stop_application(app)


async def test_a_plain_member_cannot_invite(org, bot_app, chat, minh):
    refused = await chat.say(minh.id, "/moi")
    assert "Không có lựa chọn nào" in refused or "không có lựa chọn" in refused.lower()


async def test_a_removed_role_stops_access_at_once(channel, org, bot_app, chat, lan, stranger):
    code = await invite(chat, lan, channel)
    await chat.say(stranger.id, f"/start {code}")
    assert (await chat.say(stranger.id, "/tiendo tuan")).startswith("Hoàng Minh Tuấn")
    held = await chat.say(lan.id, "/govaitro")
    assert "Khách — Chi bộ thôn A (thành viên)" in held
    assert "Nguyễn Thị Lan" not in held  # never one's own role
    await chat.say(lan.id, "Khách")
    removed = await chat.say(lan.id, "lưu")
    assert "không còn là thành viên của Chi bộ thôn A" in removed
    assert "chưa có vai trò" in await chat.say(stranger.id, "/tiendo tuan")
