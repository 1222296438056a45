"""The digest's clock and contents as pure functions: when it is owed, what it lists."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot import quotas
from bot.reminders import (
    Schedule,
    apply_action,
    compose,
    next_slot,
    owed,
    ptb_day,
    schedule_of,
    slot_in_week,
    week_key,
)
from bot.rules.book import load_rulebook
from bot.i18n import I18n
from bot.rules.calendar import WorkingCalendar
from handlers.reminders import digest_text

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BOOK = load_rulebook()
CALENDAR = WorkingCalendar()
MONDAY = date(2026, 11, 23)  # a Monday


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HCM)


def test_default_is_monday_0730_local_and_only_for_youth_secretaries():
    assert schedule_of(None, ["youth_secretary"]).state == "on"
    assert schedule_of(None, ["cell_secretary"]).state == "off"
    default = Schedule()
    # 07:30 in Hồ Chí Minh City is 00:30 UTC: a UTC clock at 00:29 is still too early.
    assert not owed(default, datetime(2026, 11, 23, 0, 29, tzinfo=timezone.utc), HCM)
    assert owed(default, datetime(2026, 11, 23, 0, 30, tzinfo=timezone.utc), HCM)
    # Sunday 23:59 UTC is Monday 06:59 local: not yet.
    assert not owed(default, datetime(2026, 11, 22, 23, 59, tzinfo=timezone.utc), HCM)
    assert slot_in_week(default, local(MONDAY + timedelta(days=6), 23), HCM) == \
        local(MONDAY, 7, 30)


def test_weeks_run_monday_to_sunday_in_local_time():
    assert week_key(MONDAY) == "2026-W48"
    assert week_key(MONDAY + timedelta(days=6)) == "2026-W48"
    assert week_key(MONDAY + timedelta(days=7)) == "2026-W49"
    assert week_key(date(2027, 1, 1)) == "2026-W53"  # ISO years


def test_ptb_counts_sunday_as_zero():
    assert ptb_day(0) == 1  # Monday
    assert ptb_day(6) == 0  # Sunday


def test_a_slot_before_the_schedule_was_set_is_not_owed():
    changed_on_tuesday = Schedule(since=local(MONDAY + timedelta(days=1), 9))
    assert not owed(changed_on_tuesday, local(MONDAY + timedelta(days=2), 9), HCM)
    assert owed(changed_on_tuesday, local(MONDAY + timedelta(days=7), 7, 30), HCM)
    assert next_slot(changed_on_tuesday, local(MONDAY + timedelta(days=2), 9), HCM) == \
        local(MONDAY + timedelta(days=7), 7, 30)


def test_pause_and_stop():
    paused = Schedule(state="paused", paused_until=MONDAY + timedelta(days=14))
    assert not owed(paused, local(MONDAY, 8), HCM)
    assert not owed(paused, local(MONDAY + timedelta(days=7), 8), HCM)
    assert owed(paused, local(MONDAY + timedelta(days=14), 8), HCM)
    assert next_slot(paused, local(MONDAY, 8), HCM) == local(MONDAY + timedelta(days=14), 7, 30)
    off = Schedule(state="off")
    assert not owed(off, local(MONDAY, 8), HCM, any_time=True)
    assert next_slot(off, local(MONDAY, 8), HCM) is None


def test_actions_change_the_schedule():
    now = local(MONDAY, 10)
    friday = apply_action(Schedule(), "schedule", {"weekday": "4", "at": "17:00"}, now, MONDAY)
    assert (friday.weekday, friday.local_time, friday.since) == (4, "17:00", now)
    assert next_slot(friday, now, HCM) == local(MONDAY + timedelta(days=4), 17)
    paused = apply_action(friday, "pause", {"weeks": "2"}, now, MONDAY)
    assert paused.state == "paused" and paused.paused_until == MONDAY + timedelta(days=14)
    assert apply_action(paused, "on", {}, now, MONDAY).paused_until is None
    quiet = apply_action(friday, "empty_nothing", {}, now, MONDAY)
    assert quiet.when_empty == "nothing" and quiet.weekday == 4


def _candidate(cid, name, steps, birth=date(2000, 1, 1), doan_vien=True):
    current = max(steps.items(), key=lambda kv: (kv[1], BOOK.stage(kv[0]).order))
    return ({"id": cid, "full_name": name, "birth_date": birth.isoformat(),
             "is_doan_vien": doan_vien, "segment": None, "current_stage": current[0],
             "current_stage_date": current[1].isoformat()},
            {stage: day.isoformat() for stage, day in steps.items()})


def _digest(*rows, quota_progress=()):
    return compose(BOOK, CALENDAR, [r for r, _ in rows], {r["id"]: s for r, s in rows},
                   MONDAY, unit_names=["Chi đoàn A"], quota_progress=list(quota_progress),
                   horizon_days=14, stalled_weeks=8)


def test_digest_sorts_candidates_into_its_sections():
    d = MONDAY
    turning_18 = _candidate(1, "Phạm Văn Nam", {"identified": d - timedelta(days=20)},
                            birth=date(2008, 12, 1))
    stalled = _candidate(2, "Đỗ Thị Thu", {"identified": d - timedelta(days=120),
                                           "youth_introduced": d - timedelta(days=100)})
    late_ceremony = _candidate(3, "Vũ Văn Khoa", {
        "identified": d - timedelta(days=200), "awareness_class_done": d - timedelta(days=190),
        "application_filed": d - timedelta(days=180), "youth_introduced": d - timedelta(days=175),
        "background_verified": d - timedelta(days=170),
        "introducers_recorded": d - timedelta(days=160), "cell_voted": d - timedelta(days=150),
        "committee_voted": d - timedelta(days=140),
        "admission_decided": d - timedelta(days=90)})
    probationer = _candidate(4, "Lý Thị Hạnh", {
        "identified": d - timedelta(days=400), "admission_decided": d - timedelta(days=110),
        "ceremony_held": d - timedelta(days=100)})
    digest = _digest(turning_18, stalled, late_ceremony, probationer)
    assert [(i.full_name, i.deadline.code, i.deadline.due) for i in digest.due_soon.items] == \
        [("Phạm Văn Nam", "turns_18", date(2026, 12, 1))]
    assert ("Vũ Văn Khoa", "ceremony_due") in \
        [(i.full_name, i.deadline.code) for i in digest.overdue.items]
    assert [(i.full_name, i.stage) for i in digest.stalled.items] == \
        [("Đỗ Thị Thu", "youth_introduced"), ("Vũ Văn Khoa", "admission_decided")]
    # a probationer waits by rule: not stalled, but reminded of the new-member class
    assert [(i.full_name, i.missing, i.ceremony_on) for i in digest.probation.items] == \
        [("Lý Thị Hạnh", ("new_member_class_done",), d - timedelta(days=100))]
    assert digest.has_news
    assert list(digest.named())[:2] == [3, 1]


def test_nothing_to_report_unless_a_quota_falls_behind():
    calm = _candidate(1, "Trần Văn An", {"identified": MONDAY - timedelta(days=3)})
    assert not _digest(calm).has_news
    quota = {"period_kind": "year", "period_start": "2026-01-01", "period_end": "2026-12-31",
             "segment": None, "target": 10}
    behind = quotas.progress("Chi đoàn A", quota, 2, None, MONDAY, BOOK)
    digest = _digest(calm, quota_progress=[behind])
    assert digest.has_news
    pace = digest.quotas[0].pace
    assert pace.behind and pace.expected == 8  # 89% of the year gone
    # 8 missing in 38 days (1,25 months): about 6,4 a month
    assert pace.days_left == 38 and pace.per_month == pytest.approx(8 / (38 / 30.44))
    on_track = quotas.progress("Chi đoàn A", quota, 9, None, MONDAY, BOOK)
    assert not _digest(calm, quota_progress=[on_track]).has_news


def test_long_sections_name_the_first_six_and_count_the_rest():
    rows = [_candidate(i, f"Người Số {i:02d}", {"identified": MONDAY - timedelta(days=100 + i)})
            for i in range(12)]
    digest = _digest(*rows)
    assert digest.stalled.total == 12 and len(digest.stalled.items) == 6
    assert digest.stalled.more == 6
    assert digest.stalled.items[0].full_name == "Người Số 11"  # longest waiting first
    text = digest_text(I18n().translator(), digest)
    assert "…và 6 người khác" in text


def test_the_biggest_digest_fits_one_telegram_message():
    long = "Nguyễn Thị Phương " * 4
    d = MONDAY
    shapes = (  # stalled, ceremony overdue, turning 18 soon, on probation without the class
        lambda: {"identified": d - timedelta(days=400)},
        lambda: {"identified": d - timedelta(days=400),
                 "admission_decided": d - timedelta(days=90)},
        lambda: {"identified": d - timedelta(days=3)},
        lambda: {"identified": d - timedelta(days=400), "ceremony_held": d - timedelta(days=99)})
    rows = [_candidate(10 * k + i, f"{long}{k}{i}", shape(), birth=date(2008, 12, 1))
            for k, shape in enumerate(shapes) for i in range(10)]
    quota = {"period_kind": "year", "period_start": "2026-01-01", "period_end": "2026-12-31",
             "segment": None, "target": 10}
    progress = [quotas.progress(f"{long} {i}", quota, i, None, MONDAY, BOOK)
                for i in range(10)]
    digest = _digest(*rows, quota_progress=progress)
    assert len(digest.quotas) == 3 and digest.quotas[0].progress.admitted == 0
    assert all(section.total >= 10 for section in (digest.overdue, digest.due_soon,
                                                   digest.stalled, digest.probation))
    text = digest_text(I18n().translator(), digest)
    assert len(text) <= 4096 and "\n…\n" in text  # cut at a line
    assert text.endswith("Đổi ngày giờ nhận: /nhacnho.")


def test_a_lease_held_by_a_live_run_of_this_process_is_respected():
    from bot.fanout import _LIVE_RUNS, new_owner, owner_is_dead

    mine = new_owner()
    assert owner_is_dead(mine)  # ended (or never started) in this process
    _LIVE_RUNS.add(mine)
    try:
        assert not owner_is_dead(mine)  # e.g. the demo's other bot is sending
    finally:
        _LIVE_RUNS.discard(mine)
    assert owner_is_dead("thismachine-never:999999999:x") is False  # another machine
