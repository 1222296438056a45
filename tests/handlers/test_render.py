"""Every code the rule book can produce has words, so users never see a raw code."""

from __future__ import annotations

from datetime import date

from bot import labels
from bot.i18n import I18n
from bot.rules.book import load_rulebook
from bot.rules.evaluate import DEADLINE_CODES, FINDING_CODES, Deadline, Finding
from handlers import render


def test_every_stage_of_the_rule_book_has_a_label():
    book = load_rulebook()
    codes = [*book.pipeline_codes(), *book.terminal_codes()]
    assert set(codes) <= set(labels.STAGE_LABELS), set(codes) - set(labels.STAGE_LABELS)


def test_every_finding_and_deadline_code_has_a_message():
    assert set(FINDING_CODES) <= set(render.FINDING_MESSAGES)
    assert set(DEADLINE_CODES) <= set(render.DEADLINE_LABELS)


def test_a_refusal_reads_in_vietnamese_with_dates_stage_names_and_source():
    book = load_rulebook()
    tr = I18n().translator()
    refusal = Finding("before_previous_stage", "refuse",
                      {"date": date(2026, 3, 1), "previous_stage": "admission_decided",
                       "previous_date": date(2026, 3, 10)},
                      source=book.rule("ceremony_deadline").source)
    text = render.finding(tr, refusal)
    assert text.startswith("Ngày 01/03/2026 lại trước bước «Có quyết định kết nạp» (10/03/2026)")
    assert text.endswith("(Quy định 294-QĐ/TW, điểm 4.1)")


def test_an_overdue_deadline_counts_working_days():
    tr = I18n().translator()
    line = render.deadline(tr, Deadline("ceremony_due", date(2026, 2, 27), "overdue", None,
                                        None, {"working_days_overdue": 3}))
    assert line == "Hạn tổ chức lễ kết nạp: 27/02/2026 — quá hạn 3 ngày làm việc"
