"""Declarative forms: for each form, its fields, prompts (catalog keys), parsers and checks.

The conversation engine in `handlers/forms.py` walks any `FormDef`; nothing here knows
Telegram. A field's `kind` picks the parser; `choices` names a provider (dynamic options
such as the user's cells) or lists static options; `check` names a cross-field validation
done by `bot.pipeline`; `when` decides whether the field is asked at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.i18n import N_

FieldKind = Literal["name", "date", "text", "choice", "candidate", "number", "time"]

# Sanity bounds for a typed birth date: catches typos like 2/3/2026 or 1/1/1920.
# (The Party's own age rules — 18 at the vote, 60 — live in the rule book.)
MIN_CANDIDATE_AGE_YEARS = 14
MAX_CANDIDATE_AGE_YEARS = 90


@dataclass(frozen=True)
class ChoiceDef:
    """One static option: stored value, display label (msgid) and extra typed words."""

    value: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldDef:
    """One question of a form."""

    name: str
    prompt: str
    kind: FieldKind
    required: bool = True
    choices: tuple[ChoiceDef, ...] | str | None = None
    check: str | None = None
    when: Callable[[Mapping[str, Any]], bool] | None = None
    max_length: int = 300
    label: str = ""  # how the confirmation screen names the answer (msgid)


@dataclass(frozen=True)
class FormDef:
    """A whole form: the command that opens it, its title and its fields in order."""

    name: str
    command: str
    title: str
    fields: tuple[FieldDef, ...]
    submit: str
    confirm: bool = True
    subcommand: str | None = None  # `/chitieu dat`: the word after the command opens it
    intro: str | None = None  # names a text shown above the first question (handlers)

    def field(self, name: str) -> FieldDef:
        """The field called `name`."""
        return next(f for f in self.fields if f.name == name)

    def index(self, name: str) -> int:
        """Position of the field called `name`."""
        return next(i for i, f in enumerate(self.fields) if f.name == name)


GENDERS = (
    ChoiceDef("male", N_("Male"), ("nam", "trai")),
    ChoiceDef("female", N_("Female"), ("nu", "gai")),
    ChoiceDef("other", N_("Other")),
)

SEGMENTS = (
    ChoiceDef("thpt", N_("High-school (THPT) student"), ("thpt", "hoc sinh")),
    ChoiceDef("university", N_("University or college student"), ("sinh vien", "sv")),
    ChoiceDef("non_state_enterprise", N_("Non-state enterprise"), ("dnnnn", "doanh nghiep")),
    ChoiceDef("residential", N_("Residential area (village, street group)"),
              ("khu dan cu", "thon", "to dan pho")),
    ChoiceDef("state_agency", N_("State agency or public service unit"), ("co quan",)),
    ChoiceDef("armed_forces", N_("Armed forces"), ("quan doi", "cong an", "lltv")),
    ChoiceDef("other", N_("Other")),
)

YES_NO = (
    ChoiceDef("yes", N_("Yes"), ("co", "c", "dung", "phai", "u", "yes", "y")),
    ChoiceDef("no", N_("No"), ("khong", "ko", "k", "chua", "no", "n")),
)


def _is_doan_vien(answers: Mapping[str, Any]) -> bool:
    return answers.get("is_doan_vien") == "yes"


def _is_terminal(answers: Mapping[str, Any]) -> bool:
    return bool(answers.get("stage_terminal"))


ADD_CANDIDATE = FormDef(
    name="add_candidate",
    command="them",
    title=N_("Add a candidate"),
    submit="add_candidate",
    fields=(
        FieldDef("full_name", N_("What is the candidate's full name?"), "name",
                 label=N_("Full name")),
        FieldDef("birth_date", N_("Date of birth? (for example 15/06/2008)"), "date",
                 check="birth_date", label=N_("Date of birth")),
        FieldDef("gender", N_("Gender?"), "choice", choices=GENDERS, label=N_("Gender")),
        FieldDef("cell_id", N_("Which Party cell is responsible for this person?"), "choice",
                 choices="cells", label=N_("Party cell")),
        FieldDef("is_doan_vien", N_("Is this person a Youth Union member (đoàn viên)?"),
                 "choice", choices=YES_NO, label=N_("Youth Union member")),
        FieldDef("youth_branch_id", N_("Which Youth Union branch?"), "choice",
                 choices="youth_branches", required=False, when=_is_doan_vien,
                 label=N_("Youth Union branch")),
        FieldDef("segment", N_("Where does this person come from?"), "choice",
                 choices=SEGMENTS, label=N_("Source")),
        FieldDef("helper_name", N_("Full name of the Party member assigned to help them?"),
                 "name", required=False, label=N_("Helper member")),
        FieldDef("identified_on", N_("On which date was this person identified as an "
                                     "outstanding candidate? (type «hôm nay» for today)"),
                 "date", check="identified_on", label=N_("Identified on")),
        FieldDef("note", N_("Any note? (optional)"), "text", required=False,
                 label=N_("Note")),
    ),
)

RECORD_STAGE = FormDef(
    name="record_stage",
    command="capnhat",
    title=N_("Record a step"),
    submit="record_stage",
    fields=(
        FieldDef("candidate_id", N_("Who? Type part of the name (diacritics optional)."),
                 "candidate", label=N_("Candidate")),
        FieldDef("stage", N_("Which step was completed?"), "choice", choices="next_stages",
                 label=N_("Step")),
        FieldDef("event_date", N_("On which date? (dd/mm/yyyy or «hôm nay»)"), "date",
                 check="stage_date", label=N_("Date")),
        FieldDef("reason", N_("What is the reason?"), "text", when=_is_terminal,
                 label=N_("Reason")),
        FieldDef("note", N_("Any note? (optional)"), "text", required=False,
                 label=N_("Note")),
    ),
)

CORRECT_ENTRY = FormDef(
    name="correct_entry",
    command="sua",
    title=N_("Correct a wrong entry"),
    submit="correct_entry",
    fields=(
        FieldDef("candidate_id", N_("Whose record? Type part of the name."), "candidate",
                 label=N_("Candidate")),
        FieldDef("event_id", N_("Which entry is wrong?"), "choice", choices="events",
                 label=N_("Entry")),
        FieldDef("event_date", N_("What is the correct date?"), "date",
                 check="corrected_date", label=N_("Correct date")),
        FieldDef("note", N_("Why is it corrected? (a short reason)"), "text",
                 label=N_("Reason")),
    ),
)

STATUS = FormDef(
    name="status",
    command="tiendo",
    title=N_("Candidate status"),
    submit="show_status",
    confirm=False,
    fields=(
        FieldDef("candidate_id", N_("Whose progress? Type part of the name."), "candidate",
                 label=N_("Candidate")),
    ),
)

HISTORY = FormDef(
    name="history",
    command="lichsu",
    title=N_("Candidate history"),
    submit="show_history",
    confirm=False,
    fields=(
        FieldDef("candidate_id", N_("Whose history? Type part of the name."), "candidate",
                 label=N_("Candidate")),
    ),
)

INVITE = FormDef(
    name="invite",
    command="moi",
    title=N_("Invite someone to a unit"),
    submit="create_invite",
    fields=(
        FieldDef("unit_id", N_("Invite to which unit?"), "choice", choices="invite_units",
                 label=N_("Unit")),
        FieldDef("role", N_("With which role?"), "choice", choices="invite_roles",
                 label=N_("Role")),
    ),
)

REMOVE_ROLE = FormDef(
    name="remove_role",
    command="govaitro",
    title=N_("Remove a role"),
    submit="remove_role",
    fields=(
        FieldDef("role_key", N_("Whose role should be removed?"), "choice",
                 choices="held_roles", label=N_("Role")),
    ),
)

MAX_QUOTA_TARGET = 100_000

SET_QUOTA = FormDef(
    name="set_quota",
    command="chitieu",
    subcommand="dat",
    title=N_("Set a quota"),
    submit="set_quota",
    fields=(
        FieldDef("unit_id", N_("Quota for which unit?"), "choice", choices="invite_units",
                 label=N_("Unit")),
        FieldDef("period", N_("For which period?"), "choice", choices="quota_periods",
                 label=N_("Period")),
        FieldDef("segment", N_("Only for one source? (/skip: everyone)"), "choice",
                 choices=SEGMENTS, required=False, label=N_("Source")),
        FieldDef("target", N_("How many new members is the target?"), "number",
                 max_length=MAX_QUOTA_TARGET, label=N_("Target")),
    ),
)

# Sunday first, so that the numbers match the Vietnamese names: 2 = Thứ Hai ... 7 = Thứ Bảy.
# Values are weekdays counted from Monday = 0.
WEEKDAYS = (
    ChoiceDef("6", N_("Sunday"), ("cn", "chu nhat")),
    ChoiceDef("0", N_("Monday"), ("t2", "thu 2", "thu hai", "hai")),
    ChoiceDef("1", N_("Tuesday"), ("t3", "thu 3", "thu ba", "ba")),
    ChoiceDef("2", N_("Wednesday"), ("t4", "thu 4", "thu tu", "tu")),
    ChoiceDef("3", N_("Thursday"), ("t5", "thu 5", "thu nam", "nam")),
    ChoiceDef("4", N_("Friday"), ("t6", "thu 6", "thu sau", "sau")),
    ChoiceDef("5", N_("Saturday"), ("t7", "thu 7", "thu bay", "bay")),
)

PAUSES = (
    ChoiceDef("1", N_("1 week"), ("1 tuan",)),
    ChoiceDef("2", N_("2 weeks"), ("2 tuan",)),
    ChoiceDef("4", N_("4 weeks"), ("4 tuan", "1 thang")),
)


def _reschedules(answers: Mapping[str, Any]) -> bool:
    return answers.get("action") == "schedule"


def _pauses(answers: Mapping[str, Any]) -> bool:
    return answers.get("action") == "pause"


REMINDERS = FormDef(
    name="reminders",
    command="nhacnho",
    title=N_("Weekly reminders"),
    submit="save_reminders",
    confirm=False,
    intro="reminder_settings",
    fields=(
        FieldDef("action", N_("What would you like to do?"), "choice",
                 choices="reminder_actions", label=N_("Change")),
        FieldDef("weekday", N_("On which day of the week?"), "choice", choices=WEEKDAYS,
                 when=_reschedules, label=N_("Day")),
        FieldDef("at", N_("At what time? (for example 7:30 or 19h)"), "time",
                 when=_reschedules, label=N_("Time")),
        FieldDef("weeks", N_("Pause for how long?"), "choice", choices=PAUSES,
                 when=_pauses, label=N_("Pause")),
    ),
)

FORMS: tuple[FormDef, ...] = (ADD_CANDIDATE, RECORD_STAGE, CORRECT_ENTRY, STATUS, HISTORY,
                              INVITE, REMOVE_ROLE, SET_QUOTA, REMINDERS)


def is_asked(field: FieldDef, answers: Mapping[str, Any]) -> bool:
    """Whether `field` is asked given the answers so far (`when` false hides it)."""
    return field.when is None or field.when(answers)


def next_field(form: FormDef, answers: Mapping[str, Any], after: str | None) -> FieldDef | None:
    """The field to ask after `after` (None: the first), or None when the form is complete."""
    start = 0 if after is None else form.index(after) + 1
    return next((f for f in form.fields[start:] if is_asked(f, answers)), None)


def previous_field(form: FormDef, answers: Mapping[str, Any], current: str) -> FieldDef | None:
    """The asked field before `current`, or None at the first one."""
    earlier = form.fields[: form.index(current)]
    return next((f for f in reversed(earlier) if is_asked(f, answers)), None)


def last_field(form: FormDef, answers: Mapping[str, Any]) -> FieldDef:
    """The last field asked given the answers (the one before the confirmation)."""
    return next(f for f in reversed(form.fields) if is_asked(f, answers))


def form_by_name(name: str) -> FormDef:
    """The form called `name`."""
    return next(form for form in FORMS if form.name == name)
