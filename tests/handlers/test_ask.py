"""Questions end to end: answers with their source, honest "not sure", groups, quotas."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import quotas
from storage.db import open_database

# The same scenarios on Telegram and on Zalo (the emulator's two dialects).
pytestmark = pytest.mark.parametrize("channel", ["telegram", "zalo"], indirect=True)


async def ask(chat, user_id: int, text: str, chat_id: int | None = None) -> str:
    await chat.send(user_id, text, chat_id=chat_id)
    [entry] = await chat.wait_for_bot_messages(chat_id or user_id)
    return entry["message"]["text"]


async def test_a_question_typed_without_diacritics_gets_an_answer_with_its_source(
        bot_app, chat, lan):
    answer = await ask(chat, lan.id, "bao nhieu tuoi thi duoc ket nap dang")
    assert "18" in answer
    assert "📖 Nguồn:" in answer and "Điều lệ" in answer or "Quy định" in answer


async def test_an_off_topic_question_is_not_answered_confidently(bot_app, chat, lan):
    answer = await ask(chat, lan.id, "giá vàng hôm nay bao nhiêu")
    assert "📖 Nguồn:" not in answer
    assert "chưa chắc" in answer or "chưa có câu trả lời" in answer


async def test_hoi_in_a_group_answers_the_procedure(bot_app, chat, lan):
    answer = await ask(chat, lan.id, "/hoi le ket nap phai to chuc trong bao lau", chat_id=-9001)
    assert "30 ngày làm việc" in answer and "📖 Nguồn:" in answer


async def test_mentioning_the_bot_in_a_group_gets_an_answer(bot_app, chat, lan):
    answer = await ask(chat, lan.id, "@tro_ly_ptdv_bot dang vien du bi bao lau thi chuyen "
                                     "chinh thuc", chat_id=-9002)
    assert "12 tháng" in answer


async def test_a_quota_question_in_a_group_gets_no_numbers(bot_app, chat, lan):
    answer = await ask(chat, lan.id, "/hoi chi bo minh da ket nap bao nhieu", chat_id=-9003)
    assert "nhắn riêng" in answer


async def test_own_quota_progress_comes_from_the_database(
        org, settings, bot_app, chat, lan, today):
    db = await open_database(settings.database_path)
    await quotas.set_quota(db, org.cell_a, "term", today - timedelta(days=200),
                           today + timedelta(days=165), 2)
    await quotas.set_membership(db, org.cell_a, 50)
    await db.close()
    # Lan Anh's ceremony (60 days ago) is in the period: 1 of 2 admitted.
    answer = await ask(chat, lan.id, "chi tieu cua chi bo toi dat bao nhieu phan tram?")
    assert answer.startswith("📊 Chi bộ thôn A")
    assert "Chỉ tiêu 2, đã kết nạp 1: đạt 50% chỉ tiêu" in answer
    assert "Còn thiếu 1 người" in answer
    assert "1,5–2 đảng viên mới" in answer and "Nghị quyết 21-NQ/TW" in answer


async def test_someone_without_a_role_is_told_why_there_are_no_numbers(
        org, bot_app, chat, stranger):
    answer = await ask(chat, stranger.id, "chi tieu nam nay cua don vi toi")
    assert "chưa có vai trò" in answer


async def test_related_topics_can_be_opened_by_typing_their_number(bot_app, chat, lan):
    from bot.knowledge.base import load_entries
    from bot.rules.book import load_rulebook

    steps = next(e for e in load_entries(load_rulebook()) if e.id == "cac-buoc-ket-nap")
    first = await ask(chat, lan.id, "thủ tục")
    assert "📖 Nguồn:" in first
    listed = [line for line in first.splitlines() if line[:2] in ("1.", "2.", "3.")]
    number = next(line[0] for line in listed if steps.topic in line)
    second = await ask(chat, lan.id, number)
    assert second.startswith(steps.answer)


async def test_a_unit_without_its_own_quota_shows_the_quotas_just_below_it(
        org, settings, bot_app, chat, stranger, today, link_user):
    from storage import people, units

    db = await open_database(settings.database_path)
    commune = (await units.get_unit(db, org.cell_a))["parent_id"]
    person = await people.add_person(db, "Quản trị xã")
    await link_user(db, person, stranger.id)
    await people.grant_role(db, person, commune, "admin")
    for cell, target in ((org.cell_a, 2), (org.cell_b, 4)):
        await quotas.set_quota(db, cell, "term", today - timedelta(days=10),
                               today + timedelta(days=10), target)
    await db.close()
    answer = await ask(chat, stranger.id, "chi tieu nam nay cua don vi toi")
    assert "📊 Chi bộ thôn A" in answer and "📊 Chi bộ thôn B" in answer
    assert "Chỉ tiêu 4, đã kết nạp 0: đạt 0% chỉ tiêu" in answer
