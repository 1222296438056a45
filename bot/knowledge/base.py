"""The knowledge base: cited answers in ``kb/*.toml``, loaded and checked as frozen entries.

Each file holds ``[[entry]]`` blocks::

    [[entry]]
    id = "tuoi-toi-thieu"
    topic = "Tuổi tối thiểu để vào Đảng"
    answer = \"\"\"...\"\"\"
    source = { document = "dieu_le", article = "Điều 1" }  # a document id of the rule book
    effective = 2025-07-01
    confidence = "confirmed"  # confirmed | high | medium | unverified
    questions = ["bao nhiêu tuổi thì được vào Đảng", "..."]

:func:`load_entries` reads every file, checks all of them and raises one
:class:`KnowledgeError` naming each problem with its file, so a maintainer fixes them in one
go. An entry's ``source`` is a :class:`bot.rules.book.Source` built from the rule book, so
``entry.source.citation()`` reads like the rule book's citations (and says "cần kiểm tra
lại văn bản gốc" while the entry is unverified).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections import Counter
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.rules.book import Confidence, RuleBook, Source

MAX_ANSWER_CHARS: Final = 1000
# Ids travel in callback data ("did you mean" buttons, at most 64 bytes with a prefix).
ID_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")


class KnowledgeError(ValueError):
    """The knowledge base files are unreadable or invalid; the message lists each problem."""


class Entry(BaseModel):
    """One question topic with its cited answer."""

    model_config = ConfigDict(frozen=True)

    id: str
    topic: str
    answer: str
    source: Source
    effective: dt.date
    confidence: Confidence
    questions: tuple[str, ...]


class _SourceRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str
    article: str | None = None
    note: str | None = None


class _EntryRecord(BaseModel):
    """One ``[[entry]]`` block as written in the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    topic: str
    answer: str
    source: _SourceRef
    effective: dt.date
    confidence: Confidence
    questions: tuple[str, ...]


def load_entries(book: RuleBook, folder: Path | None = None) -> list[Entry]:
    """Load every ``*.toml`` in ``folder`` (default: the packaged ``kb``), sorted by file name."""
    root: Traversable = folder if folder is not None else files("bot.knowledge").joinpath("kb")
    if not root.is_dir():
        raise KnowledgeError(f"knowledge base folder not found: {root}")
    sources = sorted((f for f in root.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    if not sources:
        raise KnowledgeError(f"no *.toml files in the knowledge base folder {root}")
    problems: list[str] = []
    records: list[tuple[str, _EntryRecord]] = []
    for source in sources:
        records += [(source.name, r) for r in _read_file(source, problems)]
    problems += _record_problems(book, records)
    if problems:
        raise KnowledgeError(
            "knowledge base is invalid:\n" + "\n".join(f"- {p}" for p in problems)
        )
    return [_entry(book, record) for _, record in records]


def _read_file(source: Traversable, problems: list[str]) -> list[_EntryRecord]:
    """The entries of one file; its problems are appended to ``problems``."""
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        problems.append(f"{source.name}: not valid TOML: {error}")
        return []
    unknown = sorted(set(raw) - {"entry"})
    if unknown:
        problems.append(f"{source.name}: unknown top-level keys {unknown} (expected [[entry]])")
    blocks = raw.get("entry", [])
    if not isinstance(blocks, list):
        problems.append(f"{source.name}: 'entry' must be an array of tables ([[entry]])")
        return []
    records = []
    for number, block in enumerate(blocks, start=1):
        try:
            records.append(_EntryRecord.model_validate(block))
        except ValidationError as error:
            where = block.get("id", f"#{number}") if isinstance(block, dict) else f"#{number}"
            details = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}"
                for e in error.errors()
            )
            problems.append(f"{source.name}: entry {where!r}: {details}")
    return records


def _record_problems(book: RuleBook, records: list[tuple[str, _EntryRecord]]) -> list[str]:
    """Cross-entry and per-entry checks, each problem naming its file and entry."""
    counts = Counter(record.id for _, record in records)
    documents = {d.id for d in book.documents}
    problems = []
    for file_name, record in records:
        where = f"{file_name}: entry {record.id!r}"
        if counts[record.id] > 1:
            others = sorted({f for f, r in records if r.id == record.id})
            problems.append(f"{where}: duplicate id (in {', '.join(others)})")
            counts[record.id] = 0  # report each duplicate once
        if not ID_PATTERN.match(record.id):
            problems.append(f"{where}: id must match {ID_PATTERN.pattern}")
        if record.source.document not in documents:
            problems.append(f"{where}: unknown document {record.source.document!r}")
        if not record.topic.strip():
            problems.append(f"{where}: empty topic")
        if not record.answer.strip():
            problems.append(f"{where}: empty answer")
        elif len(record.answer.strip()) > MAX_ANSWER_CHARS:
            problems.append(
                f"{where}: answer has {len(record.answer.strip())} characters "
                f"(at most {MAX_ANSWER_CHARS})"
            )
        if not any(q.strip() for q in record.questions):
            problems.append(f"{where}: needs at least one question")
        elif not all(q.strip() for q in record.questions):
            problems.append(f"{where}: has an empty question")
    return problems


def _entry(book: RuleBook, record: _EntryRecord) -> Entry:
    document = book.document(record.source.document)
    source = Source(
        document=document.id, document_title=document.title, article=record.source.article,
        effective=record.effective, confidence=record.confidence, note=record.source.note,
    )
    return Entry(
        id=record.id, topic=record.topic.strip(), answer=record.answer.strip(), source=source,
        effective=record.effective, confidence=record.confidence,
        questions=tuple(q.strip() for q in record.questions),
    )
