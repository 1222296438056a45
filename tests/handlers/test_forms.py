"""Candidate forms end to end through the emulator: typing, tapping, back/skip/cancel,
refusals with their source, restart mid-form, the 24-hour pause, and access."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from bot.app import stop_application

# Typed-only scenarios run on Telegram and on Zalo (the emulator's two dialects);
# those tapping buttons are Telegram only.
BOTH_CHANNELS = pytest.mark.parametrize("channel", ["telegram", "zalo"], indirect=True)


class Talk:
    """One user's private chat with the bot."""

    def __init__(self, chat, user_id: int) -> None:
        self.chat = chat
        self.user_id = user_id

    async def say(self, text: str, replies: int = 1) -> str:
        """Send `text`, wait for `replies` bot messages, return them joined."""
        return await self.chat.say(self.user_id, text, replies)

    async def tap(self, label_start: str, replies: int = 1) -> str:
        """Tap the button of the bot's last message whose label starts with `label_start`."""
        entries = await self.chat.messages(self.user_id)
        last = [e for e in entries if e["kind"] == "bot"][-1]
        buttons = [b for row in last["reply_markup"]["inline_keyboard"] for b in row]
        button = next(b for b in buttons if b["text"].split(". ", 1)[-1].startswith(label_start))
        await self.chat.press(self.user_id, last["message"]["message_id"],
                              data=button["callback_data"])
        entries = await self.chat.wait_for_bot_messages(self.user_id, count=replies)
        return "\n".join(e["message"]["text"] for e in entries)


@pytest.fixture
def lan_talk(chat, lan) -> Talk:
    return Talk(chat, lan.id)


def rows(settings, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(settings.database_path) as db:
        return db.execute(sql, args).fetchall()


async def test_add_candidate_by_typing_and_tapping_with_back_and_skip(
        org, bot_app, lan_talk, settings, today):
    talk = lan_talk
    assert "họ và tên" in (await talk.say("/them")).lower()
    assert "Ngày sinh" in await talk.say("le van an")
    assert "Giới tính" in await talk.say("15/06/2006")
    assert "Ngày sinh" in await talk.say("/back")  # back to the date of birth
    assert "Giới tính" in await talk.say("15-06-2006")
    cell_question = await talk.tap("Nam")
    assert "1. Chi bộ thôn A" in cell_question and "thôn B" not in cell_question
    assert "đoàn viên" in (await talk.say("1")).lower()
    assert "Chi đoàn" in await talk.say("co")
    assert "từ đâu" in await talk.say("/skip")
    assert "giúp đỡ" in await talk.say("khu dan cu")
    assert "xác định" in await talk.say("/skip")
    assert "ghi chú" in (await talk.say("hôm nay")).lower()
    summary = await talk.say("/skip")
    assert "Le Van An" in summary and "15/06/2006" in summary and "Chi bộ thôn A" in summary
    saved = await talk.say("1")
    assert "Đã lưu Le Van An" in saved
    [(cell, doan_vien, segment)] = rows(
        settings, "select cell_id, is_doan_vien, segment from candidates where full_name=?",
        "Le Van An")
    assert (cell, doan_vien, segment) == (org.cell_a, 1, "residential")
    [(stage, when)] = rows(settings, "select stage, event_date from stage_events e join "
                           "candidates c on c.id=e.candidate_id where c.full_name=?",
                           "Le Van An")
    assert (stage, when) == ("identified", today.isoformat())


@BOTH_CHANNELS
async def test_cancel_leaves_without_saving(org, bot_app, lan_talk, settings):
    await lan_talk.say("/them")
    await lan_talk.say("Phạm Văn Bình")
    assert "Đã hủy" in await lan_talk.say("/cancel")
    assert rows(settings, "select * from candidates where full_name='Phạm Văn Bình'") == []
    assert rows(settings, "select * from form_drafts") == []


@BOTH_CHANNELS
async def test_bad_date_and_impossible_age_get_a_polite_reply_and_nothing_is_lost(
        org, bot_app, lan_talk, today):
    await lan_talk.say("/them")
    await lan_talk.say("Đỗ Thị Cúc")
    wrong = await lan_talk.say("31/02/2007", replies=2)
    assert "không đọc được ngày" in wrong and "Ngày sinh" in wrong
    baby = await lan_talk.say(f"01/01/{today.year - 2}", replies=2)
    assert "chưa đủ 14 tuổi" in baby
    assert "Giới tính" in await lan_talk.say("01/01/2000")  # the name was kept
    # Telegram splits what a user pastes into messages of at most 4096 characters.
    long_answer = await lan_talk.say("x" * 4096, replies=2)
    assert "quá dài" in long_answer and "4.096" in long_answer


async def test_record_stage_refuses_a_ceremony_before_the_decision_citing_the_rule(
        org, bot_app, lan_talk, today, settings):
    stages = await lan_talk.say("/capnhat tuan")
    assert "Lễ kết nạp" in stages or "lễ kết nạp" in stages
    assert "ngày" in (await lan_talk.tap("Tổ chức lễ kết nạp")).lower()
    too_early = (today - timedelta(days=30)).strftime("%d/%m/%Y")
    refusal = await lan_talk.say(too_early, replies=2)
    assert "Có quyết định kết nạp" in refusal
    assert (today - timedelta(days=10)).strftime("%d/%m/%Y") in refusal
    assert "ghi chú" in (await lan_talk.say("hom nay")).lower()
    summary = await lan_talk.say("/skip")
    assert "Hoàng Minh Tuấn" in summary
    saved = await lan_talk.say("1", replies=2)
    assert "Đã lưu" in saved and "Dự bị" not in saved
    assert rows(settings, "select count(*) from stage_events where candidate_id=? and "
                "stage='ceremony_held'", org.tuan) == [(1,)]


@BOTH_CHANNELS
async def test_only_allowed_next_steps_are_offered(org, bot_app, lan_talk):
    offered = await lan_talk.say("/capnhat mai")
    assert offered.startswith("👤 Nguyễn Thị Mai")  # says whom it found
    assert "Nộp đơn" in offered
    assert "lễ kết nạp" not in offered.lower() and "chi bộ xét" not in offered.lower()


@BOTH_CHANNELS
async def test_status_shows_stage_deadline_and_source(org, bot_app, lan_talk):
    card = await lan_talk.say("/tiendo hoang minh tuan")
    assert "Hoàng Minh Tuấn — Chi bộ thôn A" in card
    assert "Có quyết định kết nạp" in card
    assert "Hạn tổ chức lễ kết nạp" in card or "lễ kết nạp" in card.lower()
    assert "294" in card or "Quy định" in card


@BOTH_CHANNELS
async def test_a_one_letter_name_is_refused_politely_and_the_form_goes_on(
        org, bot_app, lan_talk):
    assert "ít nhất 2 chữ cái" in await lan_talk.say("/tiendo a", replies=1)
    assert "Nguyễn Thị Mai" in await lan_talk.say("mai")


async def test_correction_supersedes_and_history_keeps_the_wrong_entry(
        org, bot_app, lan_talk, today, settings):
    events = await lan_talk.say("/sua mai")
    assert "lớp bồi dưỡng nhận thức" in events.lower()
    await lan_talk.tap("Học xong lớp bồi dưỡng")
    new_date = (today - timedelta(days=29)).strftime("%d/%m/%Y")
    await lan_talk.say(new_date)
    await lan_talk.say("ghi nhầm ngày")
    corrected = await lan_talk.say("1", replies=2)
    assert "Đã sửa" in corrected
    history = await lan_talk.say("/lichsu Nguyễn Thị Mai")
    assert history.count("Học xong lớp bồi dưỡng nhận thức") == 2
    assert "đã sửa sau" in history and new_date in history


@BOTH_CHANNELS
async def test_half_filled_form_survives_a_restart(org, launch, lan_talk):
    first = await launch()
    await lan_talk.say("/them")
    await lan_talk.say("Vũ Văn Khoa")
    await lan_talk.say("02/09/2001")
    await stop_application(first)

    second = await launch()
    try:
        assert "1. Chi bộ thôn A" in await lan_talk.say("nam")
    finally:
        await stop_application(second)


@BOTH_CHANNELS
async def test_after_24_hours_the_user_chooses_to_continue(org, launch, lan_talk, clock):
    app = await launch(clock=clock)
    try:
        await lan_talk.say("/them")
        await lan_talk.say("Lý Thị Nga")
        clock.advance(hours=25)
        offer = await lan_talk.say("12/12/2003")
        assert "đang điền dở" in offer and "Tiếp tục" in offer
        assert "Ngày sinh" in await lan_talk.say("1")
        assert "Giới tính" in await lan_talk.say("12/12/2003")
    finally:
        await stop_application(app)


@BOTH_CHANNELS
async def test_a_stranger_cannot_add_or_see_candidates(org, bot_app, chat, stranger):
    stranger = Talk(chat, stranger.id)
    assert "chưa có vai trò" in await stranger.say("/them")
    assert "chưa có vai trò" in await stranger.say("/tiendo mai")


@BOTH_CHANNELS
async def test_a_member_of_another_cell_cannot_find_or_change_our_candidates(
        org, bot_app, chat, minh):
    minh = Talk(chat, minh.id)
    assert "không tìm thấy" in (await minh.say("/tiendo Nguyễn Thị Mai", replies=1)).lower()
    await minh.say("/cancel")
    assert "Trịnh Thị Hoa" in await minh.say("/tiendo hoa")


@BOTH_CHANNELS
async def test_candidate_data_is_never_shown_in_a_group(org, bot_app, chat, lan):
    await chat.send(lan.id, "/tiendo mai", chat_id=-7001)
    [entry] = await chat.wait_for_bot_messages(-7001)
    assert "nhắn riêng" in entry["message"]["text"]
    assert "Mai" not in entry["message"]["text"]


@BOTH_CHANNELS
async def test_a_youth_secretary_introduces_a_doan_vien_to_a_nearby_cell(
        org, bot_app, chat, hung, settings):
    talk = Talk(chat, hung.id)
    await talk.say("/them")
    await talk.say("Đinh Văn Tú")
    await talk.say("03/03/2007")
    cells = await talk.say("nam")
    assert "Chi bộ thôn A" in cells and "Chi bộ thôn B" in cells
    await talk.say("Chi bộ thôn B")
    assert "Chi đoàn thôn A" in await talk.say("có")
    for answer in ("1", "thpt", "/skip", "hôm nay", "/skip"):
        await talk.say(answer)
    assert "Đã lưu Đinh Văn Tú" in await talk.say("lưu")
    assert rows(settings, "select cell_id, youth_branch_id from candidates where "
                "full_name='Đinh Văn Tú'") == [(org.cell_b, org.branch_a)]


@BOTH_CHANNELS
async def test_a_closed_record_has_no_step_left_to_record(org, bot_app, lan_talk, settings):
    closed = await lan_talk.say("/capnhat lan anh")
    assert "Bùi Thị Lan Anh" in closed and "đã khép lại" in closed
    assert rows(settings, "select * from form_drafts") == []


@BOTH_CHANNELS
async def test_a_crash_before_the_conversation_state_was_written_loses_nothing(
        org, launch, lan_talk, settings):
    first = await launch()
    await lan_talk.say("/them")
    await lan_talk.say("Mạc Thị Yến")
    await stop_application(first)
    with sqlite3.connect(settings.database_path) as db:  # as if killed before PTB's flush
        db.execute("delete from ptb_conversations")
    second = await launch()
    try:
        assert "Giới tính" in await lan_talk.say("20/10/2004")
    finally:
        await stop_application(second)


async def test_a_configured_admin_without_a_role_row_can_use_the_forms(
        org, settings, emulator, chat, stranger):
    from bot.app import create_application, start_polling

    admin_settings = settings.model_copy(update={"admin_ids": [stranger.id]})
    app = await create_application(admin_settings, token="123456:TEST-TOKEN",
                                   base_url=f"{emulator.url}/bot")
    await start_polling(app, poll_timeout=1)
    try:
        card = await Talk(chat, stranger.id).say("/tiendo trinh thi hoa")
        assert card.startswith("Trịnh Thị Hoa — Chi bộ thôn B")
    finally:
        await stop_application(app)


@BOTH_CHANNELS
async def test_another_form_command_keeps_the_open_form(org, bot_app, lan_talk, settings):
    await lan_talk.say("/them")
    await lan_talk.say("Tạ Thị Xuân")
    reminder = await lan_talk.say("/tiendo mai", replies=2)
    assert "Bạn đang điền «Thêm quần chúng/đoàn viên ưu tú»" in reminder
    assert "Ngày sinh" in reminder
    assert rows(settings, "select form, step from form_drafts") == [("add_candidate",
                                                                      "birth_date")]
