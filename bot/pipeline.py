"""The candidate pipeline as the chat sees it: options, checks, saving, status.

Glue between storage and the pure rule book; knows nothing of Telegram. Problems found
here (an impossible birth date...) use the rule book's `Finding` shape, so one renderer
words them all. Every change is
checked against the asker's scope again at save time, and written with an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import aiosqlite

from bot.access import can_manage_candidate
from bot.forms import MAX_CANDIDATE_AGE_YEARS, MIN_CANDIDATE_AGE_YEARS
from bot.text import fold
from bot.rules.book import RuleBook
from bot.rules.calendar import WorkingCalendar, age_in_months, full_age_date
from bot.rules.evaluate import (
    CandidateFacts,
    Deadline,
    Finding,
    StageRecord,
    allowed_next_stages,
    check_stage_event,
    current_stage,
    deadlines,
    warnings,
)
from storage import audit, candidates
from storage.access import Scope, units_in_scope
from storage.db import transaction
from storage.units import get_unit, subtree_ids

MAX_MATCHES = 10
MIN_QUERY_LETTERS = 2  # one letter matches nearly everyone and costs a scan of the scope


@dataclass(frozen=True)
class OptionView:
    """An option to offer: its value and label; stage and role codes are worded by the
    caller."""

    value: str
    label: str
    is_stage: bool = False
    is_role: bool = False
    is_period: bool = False  # `year:2026` / `term:2025`, worded by the caller
    role_suffix: str | None = None  # a role code worded after the label
    on: date | None = None
    is_msgid: bool = False  # the label is a catalog msgid, translated by the caller


@dataclass(frozen=True)
class StatusView:
    """Everything `/tiendo` shows about one candidate."""

    candidate: dict[str, Any]
    cell_name: str
    age_months: int | None
    stage: str | None
    stage_date: date | None
    next_stages: list[str]
    deadlines: list[Deadline]
    warnings: list[Finding]
    history: list[dict[str, Any]]


class AccessDenied(Exception):
    """The asker's roles do not cover this candidate or unit."""


@dataclass
class Pipeline:
    """Candidate operations over one database and one rule book."""

    db: aiosqlite.Connection
    book: RuleBook
    calendar: WorkingCalendar

    # ---------------------------------------------------------------- reading

    @staticmethod
    def too_short(text: str) -> bool:
        """Whether a name query has too few letters to search with."""
        return len(fold(text).replace(" ", "")) < MIN_QUERY_LETTERS

    async def find(self, scope: Scope, text: str) -> list[dict[str, Any]]:
        """Candidates in scope whose name contains every word typed (none for a query
        that is `too_short`)."""
        if self.too_short(text):
            return []
        return await candidates.search_candidates(self.db, text, scope.unit_ids, MAX_MATCHES)

    async def candidate(self, scope: Scope, candidate_id: int) -> dict[str, Any]:
        """One candidate the asker may see, else AccessDenied."""
        row = await candidates.get_candidate(self.db, candidate_id)
        if row is None or not can_manage_candidate(scope, row):
            raise AccessDenied(candidate_id)
        return row

    async def facts_and_history(self, candidate_id: int
                                ) -> tuple[dict[str, Any], CandidateFacts, list[StageRecord]]:
        """The candidate row, its facts for the rules and its effective stage events."""
        row = await candidates.get_candidate(self.db, candidate_id)
        events = await candidates.effective_events(self.db, candidate_id)
        facts = CandidateFacts(
            birth_date=_as_date(row["birth_date"]),
            is_doan_vien=bool(row["is_doan_vien"]),
            segment=row["segment"],
        )
        history = [StageRecord(e["stage"], _as_date(e["event_date"])) for e in events]
        return row, facts, history

    async def options(self, provider: str, scope: Scope, answers: dict[str, Any]
                      ) -> list[OptionView]:
        """Dynamic choices for a form field."""
        if provider == "cells":  # a youth secretary with no cell of their own: nearby cells
            units = await units_in_scope(self.db, scope, ("cell",)) \
                or await self._nearby(scope, "cell")
            return [OptionView(str(u["id"]), u["name"]) for u in units]
        if provider == "youth_branches":
            units = await self._nearby(scope, "youth_branch")
            return [OptionView(str(u["id"]), u["name"]) for u in units]
        candidate_id = int(answers["candidate_id"])
        await self.candidate(scope, candidate_id)
        if provider == "next_stages":
            _row, facts, history = await self.facts_and_history(candidate_id)
            stages = allowed_next_stages(self.book, facts, history)
            return [OptionView(code, code, is_stage=True) for code in stages]
        if provider == "events":
            events = await candidates.effective_events(self.db, candidate_id)
            return [OptionView(str(e["id"]), e["stage"], is_stage=True,
                               on=_as_date(e["event_date"])) for e in events]
        raise ValueError(f"unknown option provider {provider!r}")

    async def _nearby(self, scope: Scope, kind: str) -> list[dict[str, Any]]:
        """Units of `kind` in scope or under the committee directly above a unit the asker
        has a role on: a cell secretary names a candidate's youth branch, and a youth
        secretary the cell, without managing it."""
        nearby = set(scope.unit_ids)
        for unit_id, _role in scope.roles:
            unit = await get_unit(self.db, unit_id)
            if unit and unit["parent_id"]:
                nearby.update(await subtree_ids(self.db, unit["parent_id"]))
        return await units_in_scope(self.db, replace(scope, unit_ids=frozenset(nearby)), (kind,))

    # ---------------------------------------------------------------- checks

    async def check(self, name: str, value: date, answers: dict[str, Any], today: date
                    ) -> list[Finding]:
        """Cross-field validation named by a form field's `check`."""
        if name == "birth_date":
            return check_birth_date(value, today)
        if name == "identified_on":
            return _check_identified_on(value, answers, today)
        candidate_id = int(answers["candidate_id"])
        _row, facts, history = await self.facts_and_history(candidate_id)
        if name == "stage_date":
            return check_stage_event(self.book, facts, history, answers["stage"], value,
                                     today, self.calendar)
        if name == "corrected_date":
            return await self._check_correction(candidate_id, int(answers["event_id"]),
                                                value, facts, today)
        raise ValueError(f"unknown check {name!r}")

    async def _check_correction(self, candidate_id: int, event_id: int, value: date,
                                facts: CandidateFacts, today: date) -> list[Finding]:
        """A corrected date is checked against the history without the wrong event."""
        events = await candidates.effective_events(self.db, candidate_id)
        wrong = next(e for e in events if e["id"] == event_id)
        others = [StageRecord(e["stage"], _as_date(e["event_date"]))
                  for e in events if e["id"] != event_id]
        return check_stage_event(self.book, facts, others, wrong["stage"], value, today,
                                 self.calendar)

    # ---------------------------------------------------------------- changes

    async def add_candidate(self, scope: Scope, answers: dict[str, Any]) -> int:
        """Save a new candidate and its first stage event ("identified")."""
        cell_id = int(answers["cell_id"])
        branch = int(answers["youth_branch_id"]) if answers.get("youth_branch_id") else None
        offered_cells = {u["id"] for u in await self._nearby(scope, "cell")}
        offered_branches = {u["id"] for u in await self._nearby(scope, "youth_branch")}
        covered = can_manage_candidate(scope, {"cell_id": cell_id, "youth_branch_id": branch})
        if not covered or cell_id not in offered_cells or \
                (branch is not None and branch not in offered_branches):
            raise AccessDenied(cell_id)
        async with transaction(self.db):
            candidate_id = await candidates.add_candidate(
                self.db, answers["full_name"], cell_id,
                birth_date=_as_date(answers["birth_date"]), gender=answers["gender"],
                youth_branch_id=branch,
                is_doan_vien=answers["is_doan_vien"] == "yes", segment=answers["segment"],
                helper_name=answers.get("helper_name"), note=answers.get("note"),
                created_by=scope.person_id,
            )
            await candidates.add_stage_event(
                self.db, candidate_id, "identified", _as_date(answers["identified_on"]),
                recorded_by=scope.person_id)
            await audit.record(self.db, scope.person_id, "candidate.add", "candidate",
                               candidate_id)
        return candidate_id

    async def record_stage(self, scope: Scope, answers: dict[str, Any], today: date
                           ) -> list[Finding]:
        """Save a completed step after checking it again; returns the warnings kept."""
        candidate_id = int(answers["candidate_id"])
        await self.candidate(scope, candidate_id)
        when = _as_date(answers["event_date"])
        findings = await self.check("stage_date", when, answers, today)
        if any(f.severity == "refuse" for f in findings):
            raise ValueError("the step no longer fits the record")
        note = " — ".join(p for p in (answers.get("reason"), answers.get("note")) if p) or None
        async with transaction(self.db):
            event_id = await candidates.add_stage_event(
                self.db, candidate_id, answers["stage"], when, note=note,
                recorded_by=scope.person_id)
            await audit.record(self.db, scope.person_id, "stage.add", "candidate",
                               candidate_id, {"event_id": event_id, "stage": answers["stage"]})
        return findings

    async def correct_entry(self, scope: Scope, answers: dict[str, Any]) -> int:
        """Save a correction as a new event superseding the wrong one (history kept)."""
        candidate_id = int(answers["candidate_id"])
        await self.candidate(scope, candidate_id)
        events = await candidates.effective_events(self.db, candidate_id)
        wrong = next(e for e in events if e["id"] == int(answers["event_id"]))
        async with transaction(self.db):
            event_id = await candidates.add_stage_event(
                self.db, candidate_id, wrong["stage"], _as_date(answers["event_date"]),
                note=answers["note"], recorded_by=scope.person_id, supersedes_id=wrong["id"])
            await audit.record(self.db, scope.person_id, "stage.correct", "candidate",
                               candidate_id, {"event_id": event_id, "supersedes": wrong["id"]})
        return event_id

    async def status(self, scope: Scope, candidate_id: int, today: date) -> StatusView:
        """What `/tiendo` shows; the view itself is audited."""
        await self.candidate(scope, candidate_id)
        row, facts, history = await self.facts_and_history(candidate_id)
        cell = await get_unit(self.db, row["cell_id"])
        stage = current_stage(self.book, history)
        stage_date = max((r.event_date for r in history if r.stage == stage), default=None)
        await audit.record(self.db, scope.person_id, "candidate.view", "candidate", candidate_id)
        return StatusView(
            candidate=row,
            cell_name=cell["name"] if cell else "",
            age_months=age_in_months(facts.birth_date, today) if facts.birth_date else None,
            stage=stage,
            stage_date=stage_date,
            next_stages=allowed_next_stages(self.book, facts, history),
            deadlines=deadlines(self.book, facts, history, today, self.calendar),
            warnings=warnings(self.book, facts, history, today, self.calendar),
            history=await candidates.events_of(self.db, candidate_id),
        )


def check_birth_date(value: date, today: date) -> list[Finding]:
    """A birth date must give a plausible age for a candidate."""
    if value > today:
        return [Finding("birth_in_future", "refuse", {"date": value})]
    if full_age_date(value, MIN_CANDIDATE_AGE_YEARS) > today:
        return [Finding("too_young_to_list", "refuse", {"years": MIN_CANDIDATE_AGE_YEARS})]
    if full_age_date(value, MAX_CANDIDATE_AGE_YEARS) <= today:
        return [Finding("implausible_age", "refuse", {"years": MAX_CANDIDATE_AGE_YEARS})]
    return []


def _check_identified_on(value: date, answers: dict[str, Any], today: date
                         ) -> list[Finding]:
    """The identification date lies between the birth date and today."""
    if value > today:
        return [Finding("date_in_future", "refuse", {"date": value, "today": today})]
    birth = _as_date(answers.get("birth_date"))
    if birth and value < birth:
        return [Finding("before_birth", "refuse", {"date": value, "birth_date": birth})]
    return []


def _as_date(value: Any) -> date | None:
    """ISO text (as stored and as kept in a form draft) to a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
