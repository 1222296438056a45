"""The rule book: load `rulebook.toml`, validate it, and expose it as frozen models.

`load_rulebook()` reads the packaged file (or a given text), checks every cross-reference
and raises `RuleBookError` naming each problem. The loaded `RuleBook` is passed around
explicitly; nothing here is cached at module level.
"""

from __future__ import annotations

import tomllib
import datetime as dt
from importlib.resources import files
from types import MappingProxyType
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Confidence = Literal["unverified", "medium", "high", "confirmed"]
Severity = Literal["refuse", "warn"]

# Weakest first: a rule refuses only when its confidence reaches the book's threshold.
CONFIDENCE_ORDER: Final = ("unverified", "medium", "high", "confirmed")
UNVERIFIED_NOTE: Final = "cần kiểm tra lại văn bản gốc"

REQUIRED_STAGES: Final = (
    "identified", "youth_introduced", "awareness_class_done", "application_filed",
    "background_verified", "introducers_recorded", "cell_voted", "committee_voted",
    "admission_decided", "ceremony_held", "new_member_class_done", "full_member",
    "withdrawn", "not_admitted", "removed",
)
# Rule id -> the kind the evaluation code reads it as.
REQUIRED_RULES: Final = MappingProxyType({
    "min_age_at_vote": "min_age",
    "max_age_at_vote": "max_age",
    "certificate_validity": "validity",
    "file_stale_after": "validity",
    "decision_deadline": "deadline",
    "ceremony_deadline": "deadline",
    "probation_length": "period",
    "recognition_deadline": "deadline",
    "introducer_min_months": "info",
    "youth_membership_age": "age_range",
    "youth_must_be_doan_vien": "youth_membership",
    "vote_threshold": "info",
    "yearly_admission_norm": "info",
})
# Kind -> parameters it must have. Stage- and rule-valued parameters are checked too.
KIND_PARAMS: Final = MappingProxyType({
    "min_age": ("years", "at_stage"),
    "max_age": ("years", "at_stage"),
    "validity": ("months", "of_stage", "checked_at"),
    "deadline": ("to_stage",),
    "period": ("from_stage", "to_stage", "months"),
    "age_range": ("min_years", "max_years"),
    "youth_membership": ("checked_at", "age_rule"),
    "info": (),
})
STAGE_PARAMS: Final = ("at_stage", "of_stage", "checked_at", "from_stage", "to_stage")
COUNT_PARAMS: Final = (
    "years", "months", "days", "working_days", "extension_working_days", "min_years",
    "max_years",
)
DURATION_PARAMS: Final = ("working_days", "days", "months")


class RuleBookError(ValueError):
    """The rule book file is unreadable or inconsistent; the message names each problem."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Document(_Frozen):
    """One Party document the rules cite ("newest wins": `replaced_by` names its successor)."""

    id: str
    title: str  # short name used in citations, e.g. "Quy định 294-QĐ/TW"
    full_title: str
    year: int
    date: dt.date | None = None
    in_force: dt.date | None = None
    replaced_by: str | None = None
    note: str | None = None


class Source(_Frozen):
    """Where a rule comes from, since when, and how sure we are of it."""

    document: str
    document_title: str
    article: str | None = None
    effective: dt.date
    confidence: Confidence
    note: str | None = None

    @property
    def verified(self) -> bool:
        """False while the rule still needs checking against the official text."""
        return self.confidence != "unverified"

    def citation(self) -> str:
        """Vietnamese citation, e.g. "Quy định 294-QĐ/TW, điểm 4.1"."""
        text = f"{self.document_title}, {self.article}" if self.article else self.document_title
        return text if self.verified else f"{text} ({UNVERIFIED_NOTE})"


class StageDef(_Frozen):
    """One pipeline stage or terminal outcome (see the header of rulebook.toml)."""

    code: str
    order: int
    requires: tuple[str, ...] = ()
    not_before: tuple[str, ...] | None = None
    doan_vien_only: bool = False
    terminal: bool = False
    closed_by: tuple[str, ...] = ()
    needs_reason: bool = False
    source: Source | None = None

    @property
    def date_after(self) -> tuple[str, ...]:
        """Stages whose dates an event of this stage may not precede."""
        return self.requires if self.not_before is None else self.not_before


class Rule(_Frozen):
    """One rule: its parameters are read by the evaluation code, never hard-coded there."""

    id: str
    kind: str
    params: dict[str, Any]
    title: str
    source: Source
    enforce: Severity = "warn"


class RuleBook(_Frozen):
    """The whole rule book; pass it explicitly to the evaluation functions."""

    version: str
    effective: dt.date
    based_on: str
    decision_authority: str
    decision_authority_source: Source
    refuse_min_confidence: Confidence
    documents: tuple[Document, ...]
    stages: tuple[StageDef, ...]
    rules: tuple[Rule, ...]

    def stage(self, code: str) -> StageDef:
        """The stage with this code; KeyError if unknown."""
        for stage in self.stages:
            if stage.code == code:
                return stage
        raise KeyError(f"unknown stage {code!r}")

    def has_stage(self, code: str) -> bool:
        """Whether the book defines this stage code."""
        return any(stage.code == code for stage in self.stages)

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; KeyError if unknown."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"unknown rule {rule_id!r}")

    def document(self, document_id: str) -> Document:
        """The document with this id; KeyError if unknown."""
        for document in self.documents:
            if document.id == document_id:
                return document
        raise KeyError(f"unknown document {document_id!r}")

    def pipeline_codes(self) -> list[str]:
        """Non-terminal stage codes in pipeline order."""
        return [s.code for s in sorted(self.stages, key=lambda s: s.order) if not s.terminal]

    def terminal_codes(self) -> list[str]:
        """Terminal outcome codes in order."""
        return [s.code for s in sorted(self.stages, key=lambda s: s.order) if s.terminal]

    def final_stage(self) -> str:
        """The last pipeline stage (full membership): reaching it ends the pipeline."""
        return self.pipeline_codes()[-1]

    def severity(self, rule_id: str) -> Severity:
        """"refuse" only for an enforcing rule whose confidence reaches the threshold."""
        rule = self.rule(rule_id)
        trusted = CONFIDENCE_ORDER.index(rule.source.confidence) >= CONFIDENCE_ORDER.index(
            self.refuse_min_confidence
        )
        return "refuse" if rule.enforce == "refuse" and trusted else "warn"


# ------------------------------------------------------------------ the file's own shape


class _SourceRef(_Frozen):
    document: str
    article: str | None = None


class _StageSourceRef(_SourceRef):
    confidence: Confidence
    effective: dt.date | None = None
    note: str | None = None


class _StageEntry(_Frozen):
    code: str
    order: int
    requires: tuple[str, ...] = ()
    not_before: tuple[str, ...] | None = None
    doan_vien_only: bool = False
    terminal: bool = False
    closed_by: tuple[str, ...] = ()
    needs_reason: bool = False
    source: _StageSourceRef | None = None


class _RuleEntry(_Frozen):
    id: str
    kind: str
    title: str
    source: _SourceRef
    effective: dt.date
    confidence: Confidence
    note: str | None = None
    enforce: Severity = "warn"
    params: dict[str, Any] = Field(default_factory=dict)


class _BookFile(_Frozen):
    version: str
    effective: dt.date
    based_on: str
    refuse_min_confidence: Confidence
    decision_authority: str
    decision_authority_source: _StageSourceRef
    documents: tuple[Document, ...]
    stages: tuple[_StageEntry, ...]
    rules: tuple[_RuleEntry, ...]


# ------------------------------------------------------------------------------ loading


def load_rulebook(text: str | None = None) -> RuleBook:
    """Parse and validate a rule book; `None` loads the packaged `rulebook.toml`."""
    if text is None:
        text = files("bot.rules").joinpath("rulebook.toml").read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleBookError(f"rule book is not valid TOML: {error}") from error
    try:
        entry = _BookFile.model_validate(raw)
    except ValidationError as error:
        raise RuleBookError(f"rule book has the wrong shape:\n{error}") from error
    problems = _document_problems(entry)
    titles = {d.id: d.title for d in entry.documents}
    problems += _source_problems(entry, titles)
    if problems:
        raise _error(problems)
    book = _build(entry, titles)
    problems = _stage_problems(book) + _rule_problems(book)
    if problems:
        raise _error(problems)
    return book


def _error(problems: list[str]) -> RuleBookError:
    return RuleBookError("rule book is invalid:\n" + "\n".join(f"- {p}" for p in problems))


def _duplicates(values: list[str]) -> list[str]:
    return sorted({v for v in values if values.count(v) > 1})


def _document_problems(entry: _BookFile) -> list[str]:
    ids = [d.id for d in entry.documents]
    problems = [f"duplicate document id {d!r}" for d in _duplicates(ids)]
    problems += [
        f"document {d.id!r} is replaced_by unknown document {d.replaced_by!r}"
        for d in entry.documents if d.replaced_by is not None and d.replaced_by not in ids
    ]
    if entry.based_on not in ids:
        problems.append(f"based_on names unknown document {entry.based_on!r}")
    return problems


def _source_problems(entry: _BookFile, titles: dict[str, str]) -> list[str]:
    cited = [("decision_authority_source", entry.decision_authority_source.document)]
    cited += [(f"stage {s.code!r}", s.source.document) for s in entry.stages if s.source]
    cited += [(f"rule {r.id!r}", r.source.document) for r in entry.rules]
    return [f"{where} cites unknown document {doc!r}" for where, doc in cited if doc not in titles]


def _build(entry: _BookFile, titles: dict[str, str]) -> RuleBook:
    def stage_source(ref: _StageSourceRef) -> Source:
        return Source(
            document=ref.document, document_title=titles[ref.document], article=ref.article,
            effective=ref.effective or entry.effective, confidence=ref.confidence, note=ref.note,
        )

    stages = tuple(
        StageDef(**s.model_dump(exclude={"source"}), source=s.source and stage_source(s.source))
        for s in entry.stages
    )
    rules = tuple(
        Rule(
            id=r.id, kind=r.kind, params=r.params, title=r.title, enforce=r.enforce,
            source=Source(
                document=r.source.document, document_title=titles[r.source.document],
                article=r.source.article, effective=r.effective, confidence=r.confidence,
                note=r.note,
            ),
        )
        for r in entry.rules
    )
    return RuleBook(
        version=entry.version, effective=entry.effective, based_on=entry.based_on,
        decision_authority=entry.decision_authority,
        decision_authority_source=stage_source(entry.decision_authority_source),
        refuse_min_confidence=entry.refuse_min_confidence, documents=entry.documents,
        stages=stages, rules=rules,
    )


def _stage_problems(book: RuleBook) -> list[str]:
    codes = [s.code for s in book.stages]
    problems = [f"duplicate stage code {c!r}" for c in _duplicates(codes)]
    orders = [str(s.order) for s in book.stages]
    problems += [f"duplicate stage order {o}" for o in _duplicates(orders)]
    problems += [f"required stage {c!r} is missing" for c in REQUIRED_STAGES if c not in codes]
    for stage in book.stages:
        for field in ("requires", "not_before", "closed_by"):
            problems += [
                f"stage {stage.code!r} {field} unknown stage {ref!r}"
                for ref in getattr(stage, field) or () if ref not in codes
            ]
        problems += [
            f"stage {stage.code!r} requires terminal stage {ref!r}"
            for ref in stage.requires if ref in codes and book.stage(ref).terminal
        ]
        if stage.closed_by and not stage.terminal:
            problems.append(f"stage {stage.code!r}: closed_by is only for terminal stages")
    if problems:
        return problems
    cycle = _find_cycle({s.code: s.requires for s in book.stages})
    if cycle:
        return ["stages form a cycle in requires: " + " → ".join(cycle)]
    for stage in book.stages:
        problems += [
            f"stage {stage.code!r} (order {stage.order}) requires {ref!r} "
            f"(order {book.stage(ref).order}): order must follow requires"
            for ref in stage.requires if book.stage(ref).order >= stage.order
        ]
    if book.stages and all(s.terminal for s in book.stages):
        problems.append("the book has no pipeline stage")
    return problems


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """A cycle in the requires graph as a path that ends where it starts, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        here = path + [node]
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                return here[here.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, here)
                if found:
                    return found
        state[node] = "done"
        return None

    for start in graph:
        if start not in state:
            found = visit(start, [])
            if found:
                return found
    return None


def _rule_problems(book: RuleBook) -> list[str]:
    ids = [r.id for r in book.rules]
    problems = [f"duplicate rule id {i!r}" for i in _duplicates(ids)]
    for rule_id, kind in REQUIRED_RULES.items():
        if rule_id not in ids:
            problems.append(f"required rule {rule_id!r} is missing")
        elif book.rule(rule_id).kind != kind:
            problems.append(f"rule {rule_id!r} must be of kind {kind!r}")
    for rule in book.rules:
        problems += _param_problems(book, rule, ids)
    return problems


def _param_problems(book: RuleBook, rule: Rule, rule_ids: list[str]) -> list[str]:
    where = f"rule {rule.id!r}"
    if rule.kind not in KIND_PARAMS:
        return [f"{where} has unknown kind {rule.kind!r}"]
    params = rule.params
    problems = [
        f"{where} needs parameter {p!r}" for p in KIND_PARAMS[rule.kind] if p not in params
    ]
    problems += [
        f"{where} parameter {p!r} names unknown stage {params[p]!r}"
        for p in STAGE_PARAMS if p in params and not book.has_stage(str(params[p]))
    ]
    problems += [
        f"{where} parameter {p!r} must be a whole number >= 0, not {params[p]!r}"
        for p in COUNT_PARAMS
        if p in params and (type(params[p]) is not int or params[p] < 0)
    ]
    if rule.kind == "deadline":
        if sum(p in params for p in DURATION_PARAMS) != 1:
            problems.append(f"{where} needs exactly one of {', '.join(DURATION_PARAMS)}")
        if ("from_stage" in params) == ("from_rule" in params):
            problems.append(f"{where} needs exactly one of from_stage, from_rule")
        problems += _rule_ref_problems(book, where, params.get("from_rule"), "period", rule_ids)
    if rule.kind == "youth_membership":
        problems += _rule_ref_problems(book, where, params.get("age_rule"), "age_range", rule_ids)
    return problems


def _rule_ref_problems(
    book: RuleBook, where: str, ref: Any, kind: str, rule_ids: list[str]
) -> list[str]:
    if ref is None:
        return []
    if ref not in rule_ids:
        return [f"{where} refers to unknown rule {ref!r}"]
    if book.rule(ref).kind != kind:
        return [f"{where} refers to rule {ref!r}, which is not of kind {kind!r}"]
    return []
