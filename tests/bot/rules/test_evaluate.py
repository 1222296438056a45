"""The pure evaluation API: allowed stages, event checks, deadlines and warnings."""

from __future__ import annotations

from datetime import date

from bot.rules.evaluate import (
    DEADLINE_CODES,
    FINDING_CODES,
    CandidateFacts,
    StageRecord,
    allowed_next_stages,
    check_stage_event,
    current_stage,
    deadlines,
    done_stages,
    warnings,
)

DOAN_VIEN = CandidateFacts(birth_date=date(2000, 5, 10), is_doan_vien=True)
QUAN_CHUNG = CandidateFacts(birth_date=date(1985, 5, 10), is_doan_vien=False)

# A đoàn viên's file, stage by stage, with plausible dates.
PATH = (
    ("identified", date(2025, 1, 6)),
    ("youth_introduced", date(2025, 2, 3)),
    ("awareness_class_done", date(2025, 3, 14)),
    ("application_filed", date(2025, 4, 1)),
    ("background_verified", date(2025, 5, 5)),
    ("introducers_recorded", date(2025, 5, 12)),
    ("cell_voted", date(2025, 6, 2)),
    ("committee_voted", date(2025, 6, 16)),
    ("admission_decided", date(2025, 7, 1)),
    ("ceremony_held", date(2025, 7, 15)),
    ("new_member_class_done", date(2025, 9, 20)),
    ("full_member", date(2026, 7, 20)),
)


def history_until(last: str, *, skip: tuple[str, ...] = ()) -> list[StageRecord]:
    """The PATH events up to and including `last`, in reverse order (order must not matter)."""
    records = []
    for stage, day in PATH:
        if stage not in skip:
            records.append(StageRecord(stage, day))
        if stage == last:
            return list(reversed(records))
    raise AssertionError(last)


def file_ready_for_vote(**dates: date) -> list[StageRecord]:
    """The PATH events before the cell vote, some with other dates."""
    return [StageRecord(r.stage, dates.get(r.stage, r.event_date))
            for r in history_until("introducers_recorded")]


def check(book, cal, facts, history, stage, day, today=date(2026, 12, 31)):
    return check_stage_event(book, facts, history, stage, day, today, cal)


def codes(findings):
    return [f.code for f in findings]


# ---------------------------------------------------------------------- allowed stages


def test_fresh_candidate_can_only_be_identified_or_withdrawn(book):
    assert allowed_next_stages(book, DOAN_VIEN, []) == ["identified", "withdrawn"]
    assert allowed_next_stages(book, QUAN_CHUNG, []) == ["identified", "withdrawn"]


def test_identified_doan_vien_may_be_introduced_by_the_youth_union(book):
    history = [StageRecord("identified", date(2025, 1, 6))]
    assert allowed_next_stages(book, DOAN_VIEN, history) == [
        "youth_introduced", "awareness_class_done", "application_filed", "withdrawn",
    ]
    assert allowed_next_stages(book, QUAN_CHUNG, history) == [
        "awareness_class_done", "application_filed", "withdrawn",
    ]


def test_cell_vote_needs_youth_introduction_only_for_doan_vien(book):
    history = history_until("introducers_recorded", skip=("youth_introduced",))
    assert "cell_voted" in allowed_next_stages(book, QUAN_CHUNG, history)
    assert "cell_voted" not in allowed_next_stages(book, DOAN_VIEN, history)
    assert "youth_introduced" in allowed_next_stages(book, DOAN_VIEN, history)


def test_file_steps_may_come_in_any_order_after_the_application(book):
    history = history_until("application_filed")
    allowed = allowed_next_stages(book, DOAN_VIEN, history)
    assert {"background_verified", "introducers_recorded", "not_admitted"} <= set(allowed)
    assert "cell_voted" not in allowed


def test_nothing_is_allowed_after_withdrawn(book, work_calendar):
    history = [*history_until("application_filed"), StageRecord("withdrawn", date(2025, 4, 20))]
    assert allowed_next_stages(book, DOAN_VIEN, history) == []
    findings = check(book, work_calendar, DOAN_VIEN, history, "background_verified",
                     date(2025, 5, 5))
    assert codes(findings) == ["not_allowed_now"]
    assert findings[0].params == {"stage": "background_verified", "allowed": []}
    assert current_stage(book, history) == "withdrawn"


def test_removed_is_allowed_only_during_probation(book):
    before = allowed_next_stages(book, DOAN_VIEN, history_until("admission_decided"))
    assert "removed" not in before
    assert {"withdrawn", "not_admitted"} <= set(before)
    during = allowed_next_stages(book, DOAN_VIEN, history_until("ceremony_held"))
    assert "removed" in during
    assert "withdrawn" not in during and "not_admitted" not in during
    assert allowed_next_stages(book, DOAN_VIEN, history_until("full_member")) == []


def test_not_admitted_needs_an_application(book):
    history = history_until("awareness_class_done")
    assert "not_admitted" not in allowed_next_stages(book, DOAN_VIEN, history)


def test_current_stage_is_the_latest_and_an_outcome_ends_the_pipeline(book):
    assert current_stage(book, []) is None
    assert current_stage(book, history_until("committee_voted")) == "committee_voted"
    same_day = [StageRecord("introducers_recorded", date(2025, 5, 12)),
                StageRecord("background_verified", date(2025, 5, 12))]
    assert current_stage(book, same_day) == "introducers_recorded"
    assert current_stage(book, history_until("full_member")) == "full_member"
    assert done_stages(history_until("application_filed")) == {
        "identified", "youth_introduced", "awareness_class_done", "application_filed",
    }


# ---------------------------------------------------------------------- event checks


def test_stage_already_done_is_not_allowed(book, work_calendar):
    findings = check(book, work_calendar, DOAN_VIEN, history_until("cell_voted"),
                     "cell_voted", date(2025, 6, 3))
    assert codes(findings) == ["not_allowed_now"]
    assert "committee_voted" in findings[0].params["allowed"]
    assert findings[0].severity == "refuse"


def test_unknown_stage_is_not_allowed(book, work_calendar):
    findings = check(book, work_calendar, DOAN_VIEN, [], "party_card_issued", date(2025, 6, 3))
    assert findings[0].params == {"stage": "party_card_issued",
                                  "allowed": ["identified", "withdrawn"]}


def test_ceremony_without_decision_is_not_allowed(book, work_calendar):
    findings = check(book, work_calendar, DOAN_VIEN, history_until("committee_voted"),
                     "ceremony_held", date(2025, 7, 15))
    assert codes(findings) == ["not_allowed_now"]
    assert findings[0].params["allowed"][0] == "admission_decided"


def test_ceremony_dated_before_the_decision_is_refused_with_the_decision_date(book, work_calendar):
    findings = check(book, work_calendar, DOAN_VIEN, history_until("admission_decided"),
                     "ceremony_held", date(2025, 6, 25))
    assert codes(findings) == ["before_previous_stage"]
    assert findings[0].severity == "refuse"
    assert findings[0].params == {"date": date(2025, 6, 25), "previous_stage": "admission_decided",
                                  "previous_date": date(2025, 7, 1)}


def test_certificate_may_predate_identification(book, work_calendar):
    history = [StageRecord("identified", date(2025, 1, 6))]
    assert check(book, work_calendar, DOAN_VIEN, history, "awareness_class_done",
                 date(2024, 11, 2)) == []


def test_terminal_outcome_may_not_predate_the_last_event(book, work_calendar):
    findings = check(book, work_calendar, DOAN_VIEN, history_until("background_verified"),
                     "withdrawn", date(2025, 4, 15))
    assert codes(findings) == ["before_previous_stage"]
    assert findings[0].params["previous_stage"] == "background_verified"


def test_certificate_dated_in_the_future_is_refused(book, work_calendar):
    history = [StageRecord("identified", date(2025, 1, 6))]
    findings = check(book, work_calendar, DOAN_VIEN, history, "awareness_class_done",
                     date(2025, 3, 20), today=date(2025, 3, 10))
    assert codes(findings) == ["date_in_future"]
    assert findings[0].params == {"date": date(2025, 3, 20), "today": date(2025, 3, 10)}


def test_event_before_birth_is_refused(book, work_calendar):
    facts = CandidateFacts(birth_date=date(2008, 6, 15), is_doan_vien=True)
    findings = check(book, work_calendar, facts, [], "identified", date(2008, 1, 1))
    assert codes(findings) == ["before_birth"]
    assert findings[0].params["birth_date"] == date(2008, 6, 15)


def test_corrected_event_may_not_fall_after_the_stage_that_needed_it(book, work_calendar):
    history = history_until("cell_voted", skip=("application_filed",))
    findings = check(book, work_calendar, DOAN_VIEN, history, "application_filed",
                     date(2025, 6, 10))
    assert codes(findings) == ["after_later_stage"]
    assert findings[0].params["later_stage"] in {"background_verified", "introducers_recorded"}


def test_student_voted_before_18_is_refused_with_the_birthday(book, work_calendar):
    student = CandidateFacts(birth_date=date(2008, 6, 15), is_doan_vien=True,
                             segment="thpt")
    history = [StageRecord(s, date(2026, 3, d)) for d, s in enumerate((
        "identified", "youth_introduced", "awareness_class_done", "application_filed",
        "background_verified", "introducers_recorded"), start=2)]
    findings = check(book, work_calendar, student, history, "cell_voted", date(2026, 6, 1),
                     today=date(2026, 6, 1))
    assert codes(findings) == ["under_18_at_vote"]
    assert findings[0].severity == "refuse"
    assert findings[0].params == {"date": date(2026, 6, 1), "eighteen_on": date(2026, 6, 15)}
    assert findings[0].rule_id == "min_age_at_vote"
    assert findings[0].source.citation().startswith("Quy định 294-QĐ/TW")
    assert check(book, work_calendar, student, history, "cell_voted", date(2026, 6, 15),
                 today=date(2026, 6, 15)) == []


def test_leap_day_birth_is_refused_on_28_february_of_the_18th_year(book, work_calendar):
    student = CandidateFacts(birth_date=date(2008, 2, 29), is_doan_vien=True)
    history = [StageRecord(s, date(2026, 1, d)) for d, s in enumerate((
        "identified", "youth_introduced", "awareness_class_done", "application_filed",
        "background_verified", "introducers_recorded"), start=5)]
    findings = check(book, work_calendar, student, history, "cell_voted", date(2026, 2, 28))
    assert codes(findings) == ["under_18_at_vote"]
    assert findings[0].params["eighteen_on"] == date(2026, 3, 1)
    assert check(book, work_calendar, student, history, "cell_voted", date(2026, 3, 1)) == []


def test_over_60_at_vote_is_a_warning(book, work_calendar):
    elder = CandidateFacts(birth_date=date(1965, 3, 1), is_doan_vien=False)
    history = history_until("introducers_recorded", skip=("youth_introduced",))
    findings = check(book, work_calendar, elder, history, "cell_voted", date(2025, 6, 2))
    assert codes(findings) == ["over_60_at_vote"]
    assert findings[0].severity == "warn"
    assert findings[0].params == {"date": date(2025, 6, 2), "age_years": 60, "age_months": 3}
    exactly_60 = CandidateFacts(birth_date=date(1965, 6, 2), is_doan_vien=False)
    assert check(book, work_calendar, exactly_60, history, "cell_voted", date(2025, 6, 2)) == []


def test_vote_without_birth_date_warns(book, work_calendar):
    unknown = CandidateFacts(birth_date=None, is_doan_vien=True)
    findings = check(book, work_calendar, unknown, history_until("introducers_recorded"),
                     "cell_voted", date(2025, 6, 2))
    assert [(f.code, f.severity, f.params) for f in findings] == [
        ("birth_date_unknown", "warn", {})]


def test_young_candidate_who_is_not_a_doan_vien_gets_a_warning(book, work_calendar):
    young = CandidateFacts(birth_date=date(2000, 5, 10), is_doan_vien=False)
    history = history_until("introducers_recorded", skip=("youth_introduced",))
    findings = check(book, work_calendar, young, history, "cell_voted", date(2025, 6, 2))
    assert codes(findings) == ["not_doan_vien_in_youth_age"]
    assert findings[0].params["age_years"] == 25


def test_expired_certificate_at_vote_only_warns_while_the_rule_is_unverified(book, work_calendar):
    history = file_ready_for_vote(awareness_class_done=date(2020, 6, 1))
    findings = check(book, work_calendar, DOAN_VIEN, history, "cell_voted", date(2025, 6, 2))
    assert codes(findings) == ["certificate_expired_at_vote"]
    assert findings[0].severity == "warn"
    assert findings[0].params == {"certificate_date": date(2020, 6, 1),
                                  "expired_on": date(2025, 6, 2)}
    assert "cần kiểm tra lại văn bản gốc" in findings[0].source.citation()
    assert check(book, work_calendar, DOAN_VIEN, history, "cell_voted", date(2025, 6, 1)) == []


def test_stale_file_at_vote_warns(book, work_calendar):
    history = file_ready_for_vote(application_filed=date(2024, 4, 1))
    findings = check(book, work_calendar, DOAN_VIEN, history, "cell_voted", date(2025, 6, 2))
    assert codes(findings) == ["file_stale_at_vote"]
    assert findings[0].params == {"filed_on": date(2024, 4, 1), "stale_on": date(2025, 4, 2)}
    assert findings[0].severity == "warn"


def test_late_decision_is_counted_in_working_days(book, work_calendar):
    history = history_until("committee_voted")  # cell voted Mon 02/06/2025
    # 60 working days after Monday 02/06/2025 is Monday 25/08/2025.
    assert check(book, work_calendar, DOAN_VIEN, history, "admission_decided",
                 date(2025, 8, 25)) == []
    findings = check(book, work_calendar, DOAN_VIEN, history, "admission_decided",
                     date(2025, 8, 29))
    assert codes(findings) == ["decision_late"]
    assert findings[0].params == {"deadline": date(2025, 8, 25), "working_days_late": 4,
                                  "extension_working_days": 30}


def test_late_ceremony_warns(book, work_calendar):
    history = history_until("admission_decided")  # decided Tue 01/07/2025
    findings = check(book, work_calendar, DOAN_VIEN, history, "ceremony_held", date(2025, 8, 14))
    assert codes(findings) == ["ceremony_late"]
    assert findings[0].params == {"deadline": date(2025, 8, 12), "working_days_late": 2}


def test_full_member_before_probation_ends_is_refused(book, work_calendar):
    history = history_until("new_member_class_done")  # ceremony 15/07/2025
    findings = check(book, work_calendar, DOAN_VIEN, history, "full_member", date(2026, 7, 14))
    assert codes(findings) == ["probation_not_over"]
    assert findings[0].severity == "refuse"
    assert findings[0].params == {"ends_on": date(2026, 7, 15)}
    assert check(book, work_calendar, DOAN_VIEN, history, "full_member", date(2026, 7, 15)) == []


def test_late_recognition_warns(book, work_calendar):
    history = history_until("new_member_class_done")
    # 30 working days after 15/07/2026 is 25/08/2026: Saturday 22/08/2026 is worked
    # (it pays for Monday 31/08 off, around National Day).
    findings = check(book, work_calendar, DOAN_VIEN, history, "full_member", date(2026, 8, 28))
    assert codes(findings) == ["recognition_late"]
    assert findings[0].params == {"deadline": date(2026, 8, 25), "working_days_late": 3}


def test_full_member_needs_the_new_member_class(book, work_calendar):
    findings = check(book, work_calendar, DOAN_VIEN, history_until("ceremony_held"),
                     "full_member", date(2026, 7, 20))
    assert codes(findings) == ["not_allowed_now"]


# -------------------------------------------------------------------------- deadlines


def by_code(items):
    return {d.code: d for d in items}


def test_ceremony_due_is_counted_in_working_days_and_overdue(book, work_calendar):
    history = [*history_until("committee_voted"),
               StageRecord("admission_decided", date(2025, 10, 1))]
    due = by_code(deadlines(book, DOAN_VIEN, history, date(2025, 11, 17), work_calendar))
    ceremony = due["ceremony_due"]
    assert ceremony.due == date(2025, 11, 12)
    assert ceremony.status == "overdue"
    assert ceremony.params == {"decided_on": date(2025, 10, 1), "days_overdue": 5,
                               "working_days_overdue": 3}
    assert ceremony.rule_id == "ceremony_deadline"
    assert "decision_due" not in due


def test_ceremony_due_soon_and_upcoming(book, work_calendar):
    history = history_until("admission_decided")  # decided 01/07/2025, due 12/08/2025
    soon = by_code(deadlines(book, DOAN_VIEN, history, date(2025, 8, 1), work_calendar))
    assert soon["ceremony_due"].status == "due_soon"
    assert soon["ceremony_due"].params["days_left"] == 11
    assert soon["ceremony_due"].params["working_days_left"] == 7
    later = by_code(deadlines(book, DOAN_VIEN, history, date(2025, 7, 2), work_calendar))
    assert later["ceremony_due"].status == "upcoming"


def test_probation_ends_twelve_months_after_the_ceremony(book, work_calendar):
    history = history_until("ceremony_held")
    due = by_code(deadlines(book, DOAN_VIEN, history, date(2025, 12, 1), work_calendar))
    assert due["probation_ends"].due == date(2026, 7, 15)
    assert due["probation_ends"].status == "upcoming"
    assert "recognition_due" not in due
    leap = [StageRecord("ceremony_held", date(2024, 2, 29)), *history_until("admission_decided")]
    assert by_code(deadlines(book, DOAN_VIEN, leap, date(2024, 6, 1), work_calendar))[
        "probation_ends"].due == date(2025, 2, 28)


def test_recognition_is_due_once_probation_ended(book, work_calendar):
    history = history_until("new_member_class_done")
    due = by_code(deadlines(book, DOAN_VIEN, history, date(2026, 8, 3), work_calendar))
    assert "probation_ends" not in due
    assert due["recognition_due"].due == date(2026, 8, 25)
    assert due["recognition_due"].params["probation_ended_on"] == date(2026, 7, 15)


def test_decision_due_after_the_cell_vote(book, work_calendar):
    history = history_until("cell_voted")
    due = by_code(deadlines(book, DOAN_VIEN, history, date(2025, 6, 10), work_calendar))
    assert due["decision_due"].due == date(2025, 8, 25)
    assert due["decision_due"].params["extension_working_days"] == 30
    assert "certificate_expires" not in due and "file_stale" not in due


def test_file_deadlines_before_the_vote_are_sorted(book, work_calendar):
    student = CandidateFacts(birth_date=date(2008, 6, 15), is_doan_vien=True)
    history = [StageRecord("identified", date(2025, 9, 8)),
               StageRecord("awareness_class_done", date(2025, 10, 20)),
               StageRecord("application_filed", date(2025, 11, 3))]
    items = deadlines(book, student, history, date(2026, 1, 5), work_calendar)
    assert [d.code for d in items] == ["turns_18", "file_stale", "certificate_expires"]
    turns_18, stale, certificate = items
    assert turns_18.due == date(2026, 6, 15) and turns_18.status == "upcoming"
    assert stale.due == date(2026, 11, 3)
    assert stale.params["stale_on"] == date(2026, 11, 4)
    assert certificate.due == date(2030, 10, 20)
    assert certificate.params["expired_on"] == date(2030, 10, 21)
    assert [d.due for d in items] == sorted(d.due for d in items)


def test_no_deadlines_once_finished(book, work_calendar):
    assert deadlines(book, DOAN_VIEN, history_until("full_member"), date(2026, 8, 1),
                     work_calendar) == []
    withdrawn = [*history_until("cell_voted"), StageRecord("withdrawn", date(2025, 6, 5))]
    assert deadlines(book, DOAN_VIEN, withdrawn, date(2025, 6, 10), work_calendar) == []


# --------------------------------------------------------------------------- warnings


def test_warnings_before_the_vote(book, work_calendar):
    student = CandidateFacts(birth_date=date(2008, 6, 15), is_doan_vien=True)
    history = [StageRecord("identified", date(2020, 1, 6)),
               StageRecord("awareness_class_done", date(2020, 3, 1)),
               StageRecord("application_filed", date(2020, 4, 1))]
    found = by_code(warnings(book, student, history, date(2025, 6, 1), work_calendar))
    assert set(found) == {"turns_18_on", "certificate_expired", "file_stale"}
    assert found["turns_18_on"].params == {"date": date(2026, 6, 15)}
    assert found["turns_18_on"].severity == "refuse"
    assert found["certificate_expired"].params == {"certificate_date": date(2020, 3, 1),
                                                   "expired_on": date(2025, 3, 2)}
    assert found["certificate_expired"].severity == "warn"


def test_warnings_for_unknown_birth_and_over_60(book, work_calendar):
    unknown = CandidateFacts(birth_date=None, is_doan_vien=False)
    assert codes(warnings(book, unknown, [], date(2025, 6, 1), work_calendar)) == [
        "birth_date_unknown"]
    elder = CandidateFacts(birth_date=date(1960, 1, 1), is_doan_vien=False)
    found = warnings(book, elder, [], date(2025, 6, 1), work_calendar)
    assert [(f.code, f.params) for f in found] == [("over_60", {"age_years": 65, "age_months": 5})]


def test_no_warnings_after_the_vote(book, work_calendar):
    assert warnings(book, DOAN_VIEN, history_until("cell_voted"), date(2030, 1, 1),
                    work_calendar) == []


def test_all_codes_are_documented():
    import bot.rules.evaluate as evaluate

    for code in (*FINDING_CODES, *DEADLINE_CODES):
        assert code in evaluate.__doc__


def test_doan_vien_only_stage_is_not_allowed_for_others(book, work_calendar):
    findings = check(book, work_calendar, QUAN_CHUNG, history_until("identified"),
                     "youth_introduced", date(2025, 2, 3))
    assert codes(findings) == ["not_allowed_now"]
