"""Words for the pipeline: stage names, refusals, deadlines and the status card.

The rule book and `bot.pipeline` return codes and values; this module is the only place
that turns them into sentences, through the catalog.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.i18n import N_, Translator
from bot.labels import SEGMENT_LABELS, stage_label
from bot.pipeline import StatusView
from bot.rules.book import Source
from bot.rules.evaluate import Deadline, Finding

FINDING_MESSAGES = {
    "not_allowed_now": N_("The step «{stage}» cannot be recorded now. "
                          "Steps possible now: {allowed}."),
    "date_in_future": N_("The date {date} is in the future (today is {today})."),
    "before_birth": N_("The date {date} is before the date of birth ({birth_date})."),
    "before_previous_stage": N_("The date {date} is before the step «{previous_stage}» "
                                "({previous_date}), which must come first."),
    "after_later_stage": N_("The date {date} is after the later step «{later_stage}» "
                            "({later_date})."),
    "not_doan_vien_in_youth_age": N_("On {date} the candidate is {age_years}, of youth age, "
                                     "but not a Youth Union member: where there is a Youth "
                                     "Union, they must join it first."),
    "under_18_at_vote": N_("On {date} the candidate is not yet 18 full years old; "
                           "the cell can vote from {eighteen_on}."),
    "over_60_at_vote": N_("On {date} the candidate is over 60 ({age_years} years old): the "
                          "provincial standing committee must agree first."),
    "birth_date_unknown": N_("The date of birth is unknown, so the age at the vote "
                             "cannot be checked."),
    "certificate_expired_at_vote": N_("The awareness-class certificate ({certificate_date}) "
                                      "expired on {expired_on}."),
    "file_stale_at_vote": N_("The file was prepared on {filed_on}; from {stale_on} parts "
                             "of it must be redone."),
    "decision_late": N_("The decision came {working_days_late} working days after the "
                        "deadline ({deadline})."),
    "ceremony_late": N_("The ceremony is {working_days_late} working days after the "
                        "deadline ({deadline}); the committee above must agree."),
    "recognition_late": N_("Recognition is {working_days_late} working days after the "
                           "deadline ({deadline})."),
    "probation_not_over": N_("The 12-month probation ends on {ends_on}; recognition "
                             "cannot be recorded before that."),
    "birth_in_future": N_("The date of birth {date} is in the future."),
    "too_young_to_list": N_("By this date of birth the person is not yet {years} years "
                            "old. Please check it."),
    "implausible_age": N_("By this date of birth the person is over {years} years old. "
                          "Please check it."),
    "turns_18_on": N_("Not yet 18: turns 18 on {date}."),
    "certificate_expired": N_("The awareness-class certificate expired on {expired_on}."),
    "file_stale": N_("The file is more than 12 months old (since {stale_on}); "
                     "parts of it must be redone."),
    "over_60": N_("Over 60 years old: the provincial standing committee must agree."),
}

DEADLINE_LABELS = {
    "turns_18": N_("Turns 18 (earliest vote date)"),
    "certificate_expires": N_("Awareness-class certificate expires"),
    "file_stale": N_("File goes stale"),
    "decision_due": N_("Admission decision due"),
    "ceremony_due": N_("Admission ceremony due"),
    "probation_ends": N_("Probation ends"),
    "recognition_due": N_("Recognition as full member due"),
}


def _values(tr: Translator, params: dict[str, Any]) -> dict[str, Any]:
    """Finding/deadline parameters made readable: dates, stage names, numbers."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, date):
            shown[key] = tr.date(value)
        elif key.endswith("stage") and isinstance(value, str):
            shown[key] = stage_label(tr, value)
        elif key == "allowed" and isinstance(value, (list, tuple)):
            shown[key] = ", ".join(stage_label(tr, s) for s in value) or "—"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            shown[key] = tr.number(value, digits=0)
        else:
            shown[key] = value
    return shown


def finding(tr: Translator, item: Finding) -> str:
    """One refusal or warning as a sentence, with the rule's source when there is one."""
    text = tr.gettext(FINDING_MESSAGES[item.code], **_values(tr, item.params))
    return _cited(text, item.source)


def deadline(tr: Translator, item: Deadline, cite: bool = True) -> str:
    """One deadline line: what, when, how late or how soon, and (unless `cite` is False)
    the source."""
    label = tr.gettext(DEADLINE_LABELS.get(item.code, item.code))
    line = f"{label}: {tr.date(item.due)}"
    if item.status == "overdue":
        late = item.params.get("working_days_overdue")
        line += " — " + (
            tr.gettext("overdue by {count} working days", count=tr.number(late, 0))
            if late is not None
            else tr.gettext("overdue since {date}", date=tr.date(item.due))
        )
    elif item.status == "due_soon":
        line += " — " + tr.gettext("due soon")
    return _cited(line, item.source if cite else None)


def _cited(text: str, source: Source | None) -> str:
    """`text (source)`: the citation is rule-book data, already in Vietnamese."""
    return f"{text} ({source.citation()})" if source is not None else text


def status_card(tr: Translator, view: StatusView) -> str:
    """The `/tiendo` answer for one candidate."""
    c = view.candidate
    lines = [f"{c['full_name']} — {view.cell_name}"]
    facts = []
    if c.get("birth_date"):
        facts.append(tr.gettext("born {date}", date=tr.date(date.fromisoformat(c["birth_date"]))))
        if view.age_months is not None:
            facts.append(tr.gettext("{years} years old", years=view.age_months // 12))
    facts.append(tr.gettext("Youth Union member") if c.get("is_doan_vien")
                 else tr.gettext("not a Youth Union member"))
    if c.get("segment"):
        facts.append(tr.gettext(SEGMENT_LABELS.get(c["segment"], c["segment"])))
    lines.append(" · ".join(facts))
    current = stage_label(tr, view.stage)
    when = f" ({tr.date(view.stage_date)})" if view.stage_date else ""
    lines.append(tr.gettext("Current step: {stage}", stage=current + when))
    if view.next_stages:
        names = ", ".join(stage_label(tr, s) for s in view.next_stages)
        lines.append(tr.gettext("Can be recorded next: {stages}", stages=names))
    if view.deadlines:
        lines.append("")
        lines.append(tr.gettext("Deadlines:"))
        lines += [f"• {deadline(tr, d)}" for d in view.deadlines]
    if view.warnings:
        lines.append("")
        lines.append(tr.gettext("Warnings:"))
        lines += [f"⚠️ {finding(tr, w)}" for w in view.warnings]
    return "\n".join(lines)


def history(tr: Translator, view: StatusView) -> str:
    """Every recorded event, corrections included, oldest first."""
    lines = [tr.gettext("History of {name}:", name=view.candidate["full_name"])]
    for event in view.history:
        text = f"{tr.date(date.fromisoformat(event['event_date']))} — {stage_label(tr, event['stage'])}"
        if event.get("superseded_by"):
            text += " " + tr.gettext("(corrected later)")
        if event.get("note"):
            text += f" — {event['note']}"
        lines.append(f"• {text}")
    return "\n".join(lines)
