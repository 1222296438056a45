"""Pure evaluation of a candidate's stage history against the rule book.

No Telegram, no database, no user-facing text: every result is a code plus parameters,
rendered by the chat layer through its catalog. The history is the candidate's effective
stage events (superseded ones already removed by the caller), in any order; when a stage
appears more than once its latest date counts. A corrected event is checked by passing the
history without the event it corrects.

Findings of `check_stage_event` (severity "refuse" blocks recording the event). When the
stage may not be recorded now, `not_allowed_now` is the only finding.

  refuse not_allowed_now        {stage, allowed: list[str]} already done, requires missing,
                                pipeline ended, unknown stage, or doan_vien_only stage for
                                a non-đoàn viên
  refuse date_in_future         {date, today}
  refuse before_birth           {date, birth_date}
  refuse before_previous_stage  {date, previous_stage, previous_date} earlier than a stage it
                                requires (`not_before`); a terminal outcome earlier than any
                                recorded event
  refuse after_later_stage      {date, later_stage, later_date} (corrections only) later than
                                a recorded stage that requires this one
  refuse under_18_at_vote       {date, eighteen_on} eighteen_on = earliest possible vote date
  warn   over_60_at_vote        {date, age_years, age_months} (needs provincial consent)
  warn   not_doan_vien_in_youth_age {date, age_years} (Điều lệ Điều 4: a candidate of youth
                                age must be a đoàn viên where there is a Youth Union)
  warn   birth_date_unknown     {} at the vote, age cannot be checked
  *      certificate_expired_at_vote {certificate_date, expired_on}
  warn   file_stale_at_vote     {filed_on, stale_on}
  warn   decision_late          {deadline, working_days_late, extension_working_days}
  warn   ceremony_late          {deadline, working_days_late}
  warn   recognition_late       {deadline, working_days_late}
  refuse probation_not_over     {ends_on} full_member before the end of the probation
  (* and every rule-based finding: the severity comes from the rule book, see
  `RuleBook.severity`: "refuse" only for a rule with enforce = "refuse" whose confidence
  reaches the book's threshold; the unverified certificate rule therefore only warns.
  A deadline counted in calendar days instead of working days gives `days_late`.)

Findings of `warnings` (issues now, before the cell votes; severity says whether the issue
would refuse the vote if it were held today):
  birth_date_unknown {}, turns_18_on {date}, over_60 {age_years, age_months},
  not_doan_vien_in_youth_age {date, age_years}, certificate_expired {certificate_date,
  expired_on}, file_stale {filed_on, stale_on}

Deadlines of `deadlines` (due = the date that matters; status "overdue" when due < today,
"due_soon" within horizon_days calendar days, else "upcoming"; status params are
{days_overdue[, working_days_overdue]} or {days_left[, working_days_left]}, the working-day
counts only for deadlines counted in working days):
  turns_18            due = the 18th birthday, earliest vote date  {birth_date}
  certificate_expires due = last day the certificate is valid      {certificate_date, expired_on}
  file_stale          due = last day before the file goes stale    {filed_on, stale_on}
  decision_due        due = last day for the admission decision    {voted_on,
                                                                    extension_working_days}
  ceremony_due        due = last day for the ceremony              {decided_on}
  probation_ends      due = the day the probation ends             {ceremony_on}
  recognition_due     due = last day to review for full membership {probation_ended_on}
Nothing is due once the pipeline has ended (terminal outcome or full membership).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Literal

from bot.rules.book import Rule, RuleBook, Source
from bot.rules.calendar import (
    MONTHS_PER_YEAR,
    WorkingCalendar,
    add_months,
    age_in_months,
    full_age_date,
)

FINDING_CODES: Final = (
    "not_allowed_now", "date_in_future", "before_birth", "before_previous_stage",
    "after_later_stage", "under_18_at_vote", "over_60_at_vote", "not_doan_vien_in_youth_age",
    "birth_date_unknown", "certificate_expired_at_vote", "file_stale_at_vote", "decision_late",
    "ceremony_late", "recognition_late", "probation_not_over",
    "turns_18_on", "over_60", "certificate_expired", "file_stale",
)
DEADLINE_CODES: Final = (
    "turns_18", "certificate_expires", "file_stale", "decision_due", "ceremony_due",
    "probation_ends", "recognition_due",
)

MIN_AGE: Final = "min_age_at_vote"
MAX_AGE: Final = "max_age_at_vote"
YOUTH: Final = "youth_must_be_doan_vien"
PROBATION: Final = "probation_length"
# (rule id, finding at the checked stage, finding now, deadline, start param, end param)
_VALIDITY: Final = (
    ("certificate_validity", "certificate_expired_at_vote", "certificate_expired",
     "certificate_expires", "certificate_date", "expired_on"),
    ("file_stale_after", "file_stale_at_vote", "file_stale", "file_stale", "filed_on",
     "stale_on"),
)
# (rule id, deadline code, finding when recorded late, start param)
_DEADLINES: Final = (
    ("decision_deadline", "decision_due", "decision_late", "voted_on"),
    ("ceremony_deadline", "ceremony_due", "ceremony_late", "decided_on"),
    ("recognition_deadline", "recognition_due", "recognition_late", "probation_ended_on"),
)


@dataclass(frozen=True)
class CandidateFacts:
    """What the rules need to know about the candidate besides the stage history."""

    birth_date: date | None
    is_doan_vien: bool
    segment: str | None = None


@dataclass(frozen=True)
class StageRecord:
    """One effective stage event."""

    stage: str
    event_date: date


@dataclass(frozen=True)
class Finding:
    """A refusal or warning about an event or a candidate, as a catalog code with params."""

    code: str
    severity: Literal["refuse", "warn"]
    params: dict[str, Any] = field(default_factory=dict)
    rule_id: str | None = None
    source: Source | None = None


@dataclass(frozen=True)
class Deadline:
    """A date that matters for the candidate, with how close it is."""

    code: str
    due: date
    status: Literal["overdue", "due_soon", "upcoming"]
    rule_id: str | None
    source: Source | None
    params: dict[str, Any]


# ------------------------------------------------------------------------- the pipeline


def done_stages(history: Iterable[StageRecord]) -> set[str]:
    """The stage codes recorded in the history."""
    return {record.stage for record in history}


def _dates(history: Iterable[StageRecord]) -> dict[str, date]:
    """The latest date of each recorded stage."""
    dates: dict[str, date] = {}
    for record in history:
        if record.stage not in dates or record.event_date > dates[record.stage]:
            dates[record.stage] = record.event_date
    return dates


def finished_stages(book: RuleBook) -> set[str]:
    """Stages after which a candidate is no longer in the pipeline: the terminal outcomes
    and the final stage (full membership)."""
    return {*book.terminal_codes(), book.final_stage()}


def _finished(book: RuleBook, done: set[str]) -> bool:
    """A terminal outcome or the last pipeline stage ends the pipeline."""
    return not done.isdisjoint(finished_stages(book))


def probation_stages(book: RuleBook) -> set[str]:
    """Stages in which a candidate waits by rule (the 12-month probation): from the
    probation's first stage up to, not including, the stage that ends it."""
    params = book.rule(PROBATION).params
    first, last = book.stage(params["from_stage"]).order, book.stage(params["to_stage"]).order
    return {s.code for s in book.stages if not s.terminal and first <= s.order < last}


def missing_before_recognition(book: RuleBook, facts: CandidateFacts,
                               history: Iterable[StageRecord]) -> list[str]:
    """During the probation: the steps the final stage still requires (the new-member
    class), in pipeline order; empty outside the probation."""
    params = book.rule(PROBATION).params
    dates = _dates(history)
    if params["from_stage"] not in dates or _finished(book, set(dates)):
        return []
    final = book.final_stage()
    return sorted((r for r in _requires(book, final, facts) if r not in dates),
                  key=lambda code: book.stage(code).order)


def stage_ranking(book: RuleBook) -> dict[str, tuple[int, int]]:
    """`stage -> (ends, order)`: 2 for a terminal outcome, 1 for the final stage, else 0.

    The current stage is the recorded stage with the highest (ends, latest date, order);
    storage keeps it per candidate from this same ranking (storage/current.py).
    """
    final = book.final_stage()
    return {s.code: (2 if s.terminal else 1 if s.code == final else 0, s.order)
            for s in book.stages}


def current_stage(book: RuleBook, history: Iterable[StageRecord]) -> str | None:
    """The latest known stage by (date, order); a terminal outcome or full membership wins."""
    rank = stage_ranking(book)
    dates = {s: d for s, d in _dates(history).items() if s in rank}
    if not dates:
        return None
    return max(dates, key=lambda s: (rank[s][0], dates[s], rank[s][1]))


def _requires(book: RuleBook, code: str, facts: CandidateFacts) -> tuple[str, ...]:
    """The stage's requirements for this candidate (đoàn viên stages only for đoàn viên)."""
    return tuple(
        r for r in book.stage(code).requires
        if facts.is_doan_vien or not book.stage(r).doan_vien_only
    )


def allowed_next_stages(
    book: RuleBook, facts: CandidateFacts, history: Iterable[StageRecord]
) -> list[str]:
    """Pipeline stages that may be recorded now, in order, then allowed terminal outcomes."""
    done = done_stages(history)
    if _finished(book, done):
        return []
    allowed = [
        code for code in book.pipeline_codes()
        if code not in done
        and (facts.is_doan_vien or not book.stage(code).doan_vien_only)
        and all(r in done for r in _requires(book, code, facts))
    ]
    allowed += [
        code for code in book.terminal_codes()
        if all(r in done for r in _requires(book, code, facts))
        and not any(c in done for c in book.stage(code).closed_by)
    ]
    return allowed


# ------------------------------------------------------------------ checking one event


def check_stage_event(
    book: RuleBook,
    facts: CandidateFacts,
    history: Iterable[StageRecord],
    stage: str,
    event_date: date,
    today: date,
    calendar: WorkingCalendar,
) -> list[Finding]:
    """Refusals and warnings for recording `stage` on `event_date` (see the module doc)."""
    history = tuple(history)
    allowed = allowed_next_stages(book, facts, history)
    if stage not in allowed:
        return [Finding("not_allowed_now", "refuse", {"stage": stage, "allowed": allowed})]
    dates = _dates(history)
    findings: list[Finding] = []
    if event_date > today:
        findings.append(Finding("date_in_future", "refuse", {"date": event_date, "today": today}))
    if facts.birth_date is not None and event_date < facts.birth_date:
        findings.append(Finding(
            "before_birth", "refuse", {"date": event_date, "birth_date": facts.birth_date}
        ))
    findings += _order_findings(book, dates, stage, event_date)
    findings += _age_findings(book, facts, stage, event_date)
    findings += _validity_findings(book, dates, stage, event_date)
    findings += _late_findings(book, dates, stage, event_date, calendar)
    findings += _period_findings(book, dates, stage, event_date)
    return findings


def _order_findings(
    book: RuleBook, dates: dict[str, date], stage: str, on: date
) -> list[Finding]:
    """The event may not precede the stages it follows, nor follow the stages it precedes."""
    definition = book.stage(stage)
    known = [s for s in dates if book.has_stage(s)]
    earlier = known if definition.terminal else [s for s in definition.date_after if s in dates]

    def key(code: str) -> tuple[date, int]:
        return dates[code], book.stage(code).order

    findings = []
    later_than_event = [s for s in earlier if dates[s] > on]
    if later_than_event:
        previous = max(later_than_event, key=key)
        findings.append(Finding("before_previous_stage", "refuse", {
            "date": on, "previous_stage": previous, "previous_date": dates[previous],
        }))
    followers = [
        s for s in known
        if stage in book.stage(s).date_after and not book.stage(s).terminal and dates[s] < on
    ]
    if followers:
        later = min(followers, key=key)
        findings.append(Finding("after_later_stage", "refuse", {
            "date": on, "later_stage": later, "later_date": dates[later],
        }))
    return findings


def _finding(
    book: RuleBook, rule_id: str, code: str, params: dict[str, Any], *, warn_only: bool = False
) -> Finding:
    """A rule-based finding, its severity and source taken from the rule book."""
    severity = "warn" if warn_only else book.severity(rule_id)
    return Finding(code, severity, params, rule_id, book.rule(rule_id).source)


def _age_findings(
    book: RuleBook, facts: CandidateFacts, stage: str, on: date
) -> list[Finding]:
    """Age limits on the day of the vote (counted in full months)."""
    min_rule, max_rule = book.rule(MIN_AGE), book.rule(MAX_AGE)
    youth_checked = book.rule(YOUTH).params["checked_at"] == stage
    age_checked = stage in (min_rule.params["at_stage"], max_rule.params["at_stage"])
    if not age_checked and not youth_checked:
        return []
    if facts.birth_date is None:
        return [_finding(book, MIN_AGE, "birth_date_unknown", {}, warn_only=True)]
    birth = facts.birth_date
    months = age_in_months(birth, on)
    findings = []
    if stage == min_rule.params["at_stage"] and months < _months(min_rule, "years"):
        findings.append(_finding(book, MIN_AGE, "under_18_at_vote", {
            "date": on, "eighteen_on": full_age_date(birth, min_rule.params["years"]),
        }))
    if stage == max_rule.params["at_stage"] and months > _months(max_rule, "years"):
        findings.append(_finding(book, MAX_AGE, "over_60_at_vote", {
            "date": on, "age_years": months // MONTHS_PER_YEAR,
            "age_months": months % MONTHS_PER_YEAR,
        }))
    if youth_checked and _youth_not_doan_vien(book, facts, months):
        findings.append(_finding(book, YOUTH, "not_doan_vien_in_youth_age", {
            "date": on, "age_years": months // MONTHS_PER_YEAR,
        }))
    return findings


def _months(rule: Rule, years_param: str) -> int:
    return rule.params[years_param] * MONTHS_PER_YEAR


def _youth_not_doan_vien(book: RuleBook, facts: CandidateFacts, months: int) -> bool:
    """Of youth age (full years within the age range) but not a đoàn viên."""
    if facts.is_doan_vien:
        return False
    age_range = book.rule(book.rule(YOUTH).params["age_rule"]).params
    return age_range["min_years"] <= months // MONTHS_PER_YEAR <= age_range["max_years"]


def _last_valid_day(rule: Rule, dates: dict[str, date]) -> date | None:
    """The last day the document made at the rule's `of_stage` is valid, if it exists."""
    start = dates.get(rule.params["of_stage"])
    return None if start is None else add_months(start, rule.params["months"])


def _validity_findings(
    book: RuleBook, dates: dict[str, date], stage: str, on: date
) -> list[Finding]:
    """Documents that are no longer valid on the day of the stage that needs them."""
    findings = []
    for rule_id, code, _, _, start_param, end_param in _VALIDITY:
        rule = book.rule(rule_id)
        last_valid = _last_valid_day(rule, dates)
        if stage == rule.params["checked_at"] and last_valid is not None and on > last_valid:
            findings.append(_finding(book, rule_id, code, {
                start_param: dates[rule.params["of_stage"]],
                end_param: last_valid + timedelta(days=1),
            }))
    return findings


def _period_end(book: RuleBook, rule_id: str, dates: dict[str, date]) -> date | None:
    """The end of a "period" rule (e.g. probation), once its start is recorded."""
    params = book.rule(rule_id).params
    start = dates.get(params["from_stage"])
    return None if start is None else add_months(start, params["months"])


def _deadline(
    book: RuleBook, rule_id: str, dates: dict[str, date], calendar: WorkingCalendar
) -> tuple[date, date] | None:
    """(start, due) of a "deadline" rule, once its start is known."""
    params = book.rule(rule_id).params
    if "from_rule" in params:
        start = _period_end(book, params["from_rule"], dates)
    else:
        start = dates.get(params["from_stage"])
    if start is None:
        return None
    if "working_days" in params:
        return start, calendar.add_working_days(start, params["working_days"])
    if "days" in params:
        return start, start + timedelta(days=params["days"])
    return start, add_months(start, params["months"])


def _late_findings(
    book: RuleBook, dates: dict[str, date], stage: str, on: date, calendar: WorkingCalendar
) -> list[Finding]:
    """Stages recorded after their deadline."""
    findings = []
    for rule_id, _, code, _ in _DEADLINES:
        params = book.rule(rule_id).params
        window = _deadline(book, rule_id, dates, calendar)
        if stage != params["to_stage"] or window is None or on <= window[1]:
            continue
        due = window[1]
        late: dict[str, Any] = {"deadline": due}
        if "working_days" in params:
            late["working_days_late"] = calendar.working_days_between(due, on)
        else:
            late["days_late"] = (on - due).days
        if "extension_working_days" in params:
            late["extension_working_days"] = params["extension_working_days"]
        findings.append(_finding(book, rule_id, code, late))
    return findings


def _period_findings(
    book: RuleBook, dates: dict[str, date], stage: str, on: date
) -> list[Finding]:
    """Full membership may not be recorded before the probation ends."""
    ends_on = _period_end(book, PROBATION, dates)
    if stage != book.rule(PROBATION).params["to_stage"] or ends_on is None or on >= ends_on:
        return []
    return [_finding(book, PROBATION, "probation_not_over", {"ends_on": ends_on})]


# ------------------------------------------------------------------ status of a candidate


def warnings(
    book: RuleBook,
    facts: CandidateFacts,
    history: Iterable[StageRecord],
    today: date,
    calendar: WorkingCalendar,
) -> list[Finding]:
    """Issues standing in the way of the cell's vote today (see the module doc)."""
    dates = _dates(history)
    vote = book.rule(MIN_AGE).params["at_stage"]
    if _finished(book, set(dates)) or vote in dates:
        return []
    findings: list[Finding] = []
    if facts.birth_date is None:
        findings.append(_finding(book, MIN_AGE, "birth_date_unknown", {}, warn_only=True))
    else:
        findings += _age_warnings(book, facts, facts.birth_date, today)
    for rule_id, _, code, _, start_param, end_param in _VALIDITY:
        last_valid = _last_valid_day(book.rule(rule_id), dates)
        if last_valid is not None and today > last_valid:
            findings.append(_finding(book, rule_id, code, {
                start_param: dates[book.rule(rule_id).params["of_stage"]],
                end_param: last_valid + timedelta(days=1),
            }))
    return findings


def _age_warnings(
    book: RuleBook, facts: CandidateFacts, birth: date, today: date
) -> list[Finding]:
    """Age issues if the cell voted today."""
    months = age_in_months(birth, today)
    min_rule, max_rule = book.rule(MIN_AGE), book.rule(MAX_AGE)
    findings = []
    if months < _months(min_rule, "years"):
        findings.append(_finding(book, MIN_AGE, "turns_18_on", {
            "date": full_age_date(birth, min_rule.params["years"]),
        }))
    if months > _months(max_rule, "years"):
        findings.append(_finding(book, MAX_AGE, "over_60", {
            "age_years": months // MONTHS_PER_YEAR, "age_months": months % MONTHS_PER_YEAR,
        }))
    if _youth_not_doan_vien(book, facts, months):
        findings.append(_finding(book, YOUTH, "not_doan_vien_in_youth_age", {
            "date": today, "age_years": months // MONTHS_PER_YEAR,
        }))
    return findings


def deadlines(
    book: RuleBook,
    facts: CandidateFacts,
    history: Iterable[StageRecord],
    today: date,
    calendar: WorkingCalendar,
    horizon_days: int = 14,
) -> list[Deadline]:
    """The candidate's dates that matter, sorted by due date (see the module doc)."""
    dates = _dates(history)
    if _finished(book, set(dates)):
        return []

    def make(
        code: str, due: date, rule_id: str, params: dict[str, Any], working: bool
    ) -> Deadline:
        status, counts = _status(due, today, horizon_days, calendar, working)
        source = book.rule(rule_id).source
        return Deadline(code, due, status, rule_id, source, {**params, **counts})

    found = []
    min_rule = book.rule(MIN_AGE)
    birth = facts.birth_date
    if birth is not None and min_rule.params["at_stage"] not in dates:
        eighteen_on = full_age_date(birth, min_rule.params["years"])
        if today < eighteen_on:
            found.append(make("turns_18", eighteen_on, MIN_AGE, {"birth_date": birth}, False))
    for rule_id, _, _, code, start_param, end_param in _VALIDITY:
        rule = book.rule(rule_id)
        last_valid = _last_valid_day(rule, dates)
        if last_valid is not None and rule.params["checked_at"] not in dates:
            found.append(make(code, last_valid, rule_id, {
                start_param: dates[rule.params["of_stage"]],
                end_param: last_valid + timedelta(days=1),
            }, False))
    found += _stage_deadlines(book, dates, today, calendar, make)
    return sorted(found, key=lambda d: (d.due, d.code))


def _stage_deadlines(
    book: RuleBook,
    dates: dict[str, date],
    today: date,
    calendar: WorkingCalendar,
    make: Callable[[str, date, str, dict[str, Any], bool], Deadline],
) -> list[Deadline]:
    """Deadlines running from a recorded stage or from the end of the probation."""
    found = []
    probation = book.rule(PROBATION).params
    ends_on = _period_end(book, PROBATION, dates)
    if ends_on is not None and probation["to_stage"] not in dates and today < ends_on:
        found.append(make("probation_ends", ends_on, PROBATION, {
            "ceremony_on": dates[probation["from_stage"]],
        }, False))
    for rule_id, code, _, start_param in _DEADLINES:
        params = book.rule(rule_id).params
        window = _deadline(book, rule_id, dates, calendar)
        if window is None or params["to_stage"] in dates or today < window[0]:
            continue
        extra = {k: params[k] for k in ("extension_working_days",) if k in params}
        found.append(make(
            code, window[1], rule_id, {start_param: window[0], **extra},
            "working_days" in params,
        ))
    return found


def _status(
    due: date, today: date, horizon_days: int, calendar: WorkingCalendar, working: bool
) -> tuple[Literal["overdue", "due_soon", "upcoming"], dict[str, int]]:
    """How close a due date is, with the day counts to show."""
    if due < today:
        counts = {"days_overdue": (today - due).days}
        if working:
            counts["working_days_overdue"] = calendar.working_days_between(due, today)
        return "overdue", counts
    counts = {"days_left": (due - today).days}
    if working:
        counts["working_days_left"] = calendar.working_days_between(today, due)
    return ("due_soon" if (due - today).days <= horizon_days else "upcoming"), counts
