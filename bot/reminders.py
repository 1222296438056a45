"""The weekly digest: when each person is owed one, and what it says.

`owed`, `next_slot` and `compose` are pure (dates in, codes and values out); `gather` reads
what `compose` needs. The chat layer (`handlers/reminders.py`) words the digest through the
catalog and `bot/fanout.py` delivers it exactly once per person and week.

Weekdays are 0 = Monday ... 6 = Sunday here and in the database; PTB's JobQueue counts
0 = Sunday (`ptb_day` converts).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

import aiosqlite

from bot import quotas
from bot.config import Settings
from bot.i18n import N_
from bot.membership import MANAGING_ROLES
from bot.rules.book import RuleBook
from bot.rules.calendar import WorkingCalendar
from bot.rules.evaluate import (
    PROBATION,
    CandidateFacts,
    Deadline,
    StageRecord,
    deadlines,
    finished_stages,
    missing_before_recognition,
    probation_stages,
)
from storage import reminders as stored
from storage import reports
from storage.people import roles_of
from storage.db import parse_utc
from storage.units import get_unit, subtrees

DEFAULT_WEEKDAY = 0  # Monday
DEFAULT_TIME = time(7, 30)
# Who gets the digest without asking; other managing roles opt in with /nhacnho.
DEFAULT_ON_ROLES = frozenset({"youth_secretary"})
DIGEST_ROLES = MANAGING_ROLES
MAX_ITEMS = 6  # people named per section; the rest are counted
MAX_QUOTAS = 3  # quotas shown, those behind their pace first
PAUSE_WEEKS = (1, 2, 4)

State = Literal["on", "paused", "off"]
WhenEmpty = Literal["line", "nothing"]


# ------------------------------------------------------------------ when


@dataclass(frozen=True)
class Schedule:
    """A person's digest schedule (saved, or the defaults for their roles)."""

    state: State = "on"
    weekday: int = DEFAULT_WEEKDAY
    at: time = DEFAULT_TIME
    paused_until: date | None = None
    when_empty: WhenEmpty = "line"
    since: datetime | None = None  # a slot before this moment is not owed

    @property
    def local_time(self) -> str:
        """`HH:MM` as stored."""
        return self.at.strftime("%H:%M")


def schedule_of(row: Mapping[str, Any] | None, roles: Collection[str],
                first_role_at: str | None = None) -> Schedule:
    """The saved schedule, else the default for these roles (on for youth secretaries,
    owed from the moment they got the role; off for others)."""
    if row is not None and row.get("state") is not None:
        hour, minute = (int(part) for part in row["local_time"].split(":"))
        until = row.get("paused_until")
        return Schedule(row["state"], row["weekday"], time(hour, minute),
                        date.fromisoformat(until) if until else None, row["when_empty"],
                        parse_utc(row["schedule_since"]))
    state: State = "on" if DEFAULT_ON_ROLES & set(roles) else "off"
    return Schedule(state, since=parse_utc(first_role_at) if first_role_at else None)


def week_key(day: date) -> str:
    """The ISO week a day belongs to, as `2026-W48`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def slot_in_week(schedule: Schedule, now: datetime, tz: tzinfo) -> datetime:
    """The schedule's moment in the (Monday to Sunday, local) week of `now`."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday + timedelta(days=schedule.weekday), schedule.at, tzinfo=tz)


def _active_on(schedule: Schedule, day: date) -> bool:
    if schedule.state == "off":
        return False
    return schedule.state == "on" or schedule.paused_until is None \
        or day >= schedule.paused_until


def _set_before(schedule: Schedule, slot: datetime) -> bool:
    """A slot counts only if the schedule was set before it."""
    return schedule.since is None or schedule.since <= slot


def owed(schedule: Schedule, now: datetime, tz: tzinfo, any_time: bool = False) -> bool:
    """Whether this week's digest is owed by now: the slot has come (or `any_time`), the
    schedule was set before the slot, and it is neither off nor paused that day."""
    slot = slot_in_week(schedule, now, tz)
    if not _active_on(schedule, slot.date()):
        return False
    return any_time or (slot <= now and _set_before(schedule, slot))


def next_slot(schedule: Schedule, now: datetime, tz: tzinfo) -> datetime | None:
    """When the next digest is due (None when switched off)."""
    if schedule.state == "off":
        return None
    slot = slot_in_week(schedule, now, tz)
    for _ in range(60):
        if slot > now and _active_on(schedule, slot.date()) and _set_before(schedule, slot):
            return slot
        slot += timedelta(days=7)
    return None


def ptb_day(weekday: int) -> int:
    """Our weekday (0 = Monday) in PTB's JobQueue numbering (0 = Sunday)."""
    return (weekday + 1) % 7


# ------------------------------------------------------------------ what


@dataclass(frozen=True)
class DueItem:
    """A candidate's date that is overdue or comes within the horizon."""

    candidate_id: int
    full_name: str
    deadline: Deadline


@dataclass(frozen=True)
class StalledItem:
    """A candidate with no new step for too long."""

    candidate_id: int
    full_name: str
    stage: str
    since: date


@dataclass(frozen=True)
class ProbationItem:
    """A probationer who still lacks steps needed before recognition (the class)."""

    candidate_id: int
    full_name: str
    missing: tuple[str, ...]
    ceremony_on: date


@dataclass(frozen=True)
class QuotaItem:
    """A quota with its pace."""

    progress: quotas.QuotaProgress
    pace: quotas.Pace


@dataclass(frozen=True)
class Section:
    """A list of items, the first MAX_ITEMS of `total`."""

    items: tuple[Any, ...] = ()
    total: int = 0

    @property
    def more(self) -> int:
        """How many are counted but not named."""
        return self.total - len(self.items)


def _section(items: Sequence[Any]) -> Section:
    return Section(tuple(items[:MAX_ITEMS]), len(items))


@dataclass(frozen=True)
class Digest:
    """One person's weekly digest, as values."""

    week: str
    today: date
    unit_names: tuple[str, ...]
    overdue: Section = field(default_factory=Section)
    due_soon: Section = field(default_factory=Section)
    stalled: Section = field(default_factory=Section)
    probation: Section = field(default_factory=Section)
    quotas: tuple[QuotaItem, ...] = ()
    horizon_days: int = 14
    stalled_weeks: int = 8

    @property
    def sections(self) -> tuple[Section, ...]:
        """The candidate sections, in the order the digest shows them."""
        return self.overdue, self.due_soon, self.stalled, self.probation

    @property
    def has_news(self) -> bool:
        """Anything to act on: a candidate item, or a quota behind its pace."""
        return any(s.total for s in self.sections) or any(q.pace.behind for q in self.quotas)

    def named(self) -> dict[int, str]:
        """Every named candidate once (id → name), in the order they appear."""
        found: dict[int, str] = {}
        for section in self.sections:
            for item in section.items:
                found.setdefault(item.candidate_id, item.full_name)
        return found



def compose(book: RuleBook, calendar: WorkingCalendar, candidates: Sequence[Mapping[str, Any]],
            steps: Mapping[int, Mapping[str, str]], today: date, *, unit_names: Sequence[str],
            quota_progress: Sequence[quotas.QuotaProgress], horizon_days: int,
            stalled_weeks: int) -> Digest:
    """The digest for candidates still in the pipeline (rows with id, full_name,
    birth_date, is_doan_vien, segment, current_stage, current_stage_date) and their steps."""
    overdue, due_soon, stalled, probation = [], [], [], []
    waiting = probation_stages(book)
    stalled_before = today - timedelta(weeks=stalled_weeks)
    for row in candidates:
        history = [StageRecord(stage, date.fromisoformat(day))
                   for stage, day in steps.get(row["id"], {}).items()]
        facts = CandidateFacts(
            date.fromisoformat(row["birth_date"]) if row.get("birth_date") else None,
            bool(row.get("is_doan_vien")), row.get("segment"))
        for item in deadlines(book, facts, history, today, calendar, horizon_days):
            if item.status == "overdue":
                overdue.append(DueItem(row["id"], row["full_name"], item))
            elif item.status == "due_soon":
                due_soon.append(DueItem(row["id"], row["full_name"], item))
        stage, stage_date = row.get("current_stage"), row.get("current_stage_date")
        if stage and stage_date and stage not in waiting and \
                date.fromisoformat(stage_date) < stalled_before:
            stalled.append(StalledItem(row["id"], row["full_name"], stage,
                                       date.fromisoformat(stage_date)))
        missing = missing_before_recognition(book, facts, history)
        if missing:
            ceremony = book.rule(PROBATION).params["from_stage"]
            probation.append(ProbationItem(row["id"], row["full_name"], tuple(missing),
                                           date.fromisoformat(steps[row["id"]][ceremony])))
    overdue.sort(key=lambda i: (i.deadline.due, i.full_name))
    due_soon.sort(key=lambda i: (i.deadline.due, i.full_name))
    stalled.sort(key=lambda i: (i.since, i.full_name))
    probation.sort(key=lambda i: (i.ceremony_on, i.full_name))
    return Digest(week_key(today), today, tuple(unit_names), _section(overdue),
                  _section(due_soon), _section(stalled), _section(probation),
                  _worst_quotas([QuotaItem(q, quotas.pace(q, today)) for q in quota_progress]),
                  horizon_days, stalled_weeks)


def _worst_quotas(items: list[QuotaItem]) -> tuple[QuotaItem, ...]:
    """The MAX_QUOTAS quotas most in need of attention: behind first, then least done."""
    ranked = sorted(items, key=lambda q: (not q.pace.behind, q.progress.achieved))
    return tuple(ranked[:MAX_QUOTAS])


def digest_units(roles: Sequence[tuple[int, str]]) -> list[int]:
    """The units a person's digest covers: those of their managing roles."""
    return list(dict.fromkeys(unit for unit, role in roles if role in DIGEST_ROLES))


def week_number(week: str) -> str:
    """`2026-W08` → `8`, as people say it."""
    return week.split("-W")[1].lstrip("0")


async def digest_for(db: aiosqlite.Connection, book: RuleBook, calendar: WorkingCalendar,
                     settings: Settings, roles: Sequence[tuple[int, str]], today: date
                     ) -> Digest:
    """The digest of a person with these roles (unit, role), as of `today`."""
    return await gather(db, book, calendar, digest_units(roles), today,
                        horizon_days=settings.reminder_horizon_days,
                        stalled_weeks=settings.stalled_weeks)


async def gather(db: aiosqlite.Connection, book: RuleBook, calendar: WorkingCalendar,
                 role_units: Sequence[int], today: date, *, horizon_days: int,
                 stalled_weeks: int) -> Digest:
    """Read the units' open candidates, their steps and quotas, and compose the digest."""
    names = [unit["name"] for unit in [await get_unit(db, u) for u in role_units] if unit]
    covered = await subtrees(db, role_units)
    rows, steps = await reports.candidates_with_steps(db, covered, finished_stages(book))
    progress = await quotas.for_units(db, list(role_units), today, book)
    return compose(book, calendar, rows, steps, today, unit_names=names,
                   quota_progress=progress, horizon_days=horizon_days,
                   stalled_weeks=stalled_weeks)


# ------------------------------------------------------------------ changing it

ACTION_LABELS = {
    "schedule": N_("Change the day and time"),
    "pause": N_("Pause for a few weeks"),
    "on": N_("Turn weekly reminders on"),
    "off": N_("Turn weekly reminders off"),
    "empty_nothing": N_("In a week with nothing to report: send nothing"),
    "empty_line": N_("In a week with nothing to report: send one line"),
    "preview": N_("Show this week's digest now"),
    "problems": N_("Who did not get this week's digest"),
}


def actions(schedule: Schedule, manages: bool, admin: bool) -> list[str]:
    """What /nhacnho offers: a person with a managing role changes their schedule or sees
    their digest; an administrator also sees who did not get this week's."""
    offered: list[str] = []
    if manages:
        if schedule.state == "on":
            offered += ["schedule", "pause", "off"]
        else:
            offered += ["on", "schedule"]
        offered.append("empty_nothing" if schedule.when_empty == "line" else "empty_line")
        offered.append("preview")
    if admin:
        offered.append("problems")
    return offered


def apply_action(current: Schedule, action: str, answers: Mapping[str, Any], now: datetime,
                 today: date) -> Schedule:
    """The schedule after a /nhacnho choice. A new day, time or state is owed from `now`
    on (a slot already gone this week is not sent late)."""
    if action == "schedule":
        hour, minute = (int(part) for part in answers["at"].split(":"))
        return replace(current, state="on", weekday=int(answers["weekday"]),
                       at=time(hour, minute), paused_until=None, since=now)
    if action == "pause":
        return replace(current, state="paused", since=current.since or now,
                       paused_until=today + timedelta(weeks=int(answers["weeks"])))
    if action in ("on", "off"):
        return replace(current, state=action, paused_until=None, since=now)
    if action in ("empty_nothing", "empty_line"):
        return replace(current, when_empty=action.removeprefix("empty_"),
                       since=current.since or now)
    raise ValueError(action)


async def load_schedule(db: aiosqlite.Connection, person_id: int
                        ) -> tuple[Schedule, list[tuple[int, str]]]:
    """A person's schedule (saved or default) and their managing roles (unit, role)."""
    held = [r for r in await roles_of(db, person_id) if r["role"] in DIGEST_ROLES]
    first = min((r["granted_at"] for r in held), default=None)
    schedule = schedule_of(await stored.get_settings(db, person_id),
                           [r["role"] for r in held], first)
    return schedule, [(r["unit_id"], r["role"]) for r in held]


async def save_schedule(db: aiosqlite.Connection, person_id: int, schedule: Schedule,
                        now: datetime) -> None:
    """Write the schedule (all of it: it is the person's choice from now on)."""
    await stored.save_settings(db, person_id, state=schedule.state, weekday=schedule.weekday,
                               local_time=schedule.local_time,
                               paused_until=schedule.paused_until,
                               when_empty=schedule.when_empty,
                               schedule_since=schedule.since or now, now=now)
