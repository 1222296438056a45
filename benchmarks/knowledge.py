"""Knowledge-base answers: accuracy on the evaluation set, the threshold sweep, ms/question.

Usage: python benchmarks/knowledge.py [--sweep]

Prints
  * top-1 accuracy on tests/knowledge/eval_questions.toml at the current THRESHOLD (a
    question expected to have no answer is right only when the bot is not sure), split into
    answerable and "none" questions, and the confusion list (question -> expected / got,
    score);
  * with --sweep, the accuracy at every threshold from 0.00 to 1.00, and the best ones
    (how THRESHOLD in bot/knowledge/index.py was chosen);
  * ms/question on the real knowledge base, and on the entries replicated to 1 000
    (ids suffixed) in a temporary database (goal: at most 2 ms/question).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.base import Entry, load_entries
from bot.knowledge.index import THRESHOLD, KnowledgeIndex
from bot.rules.book import load_rulebook
from storage.db import open_database

EVAL_FILE = Path(__file__).resolve().parent.parent / "tests" / "knowledge" / "eval_questions.toml"
SCALE = 1000
NONE = "none"


@dataclass(frozen=True)
class Outcome:
    """What the index said about one evaluation question."""

    text: str
    expect: str
    top: str  # the best entry id, or "none" when nothing matched
    score: float
    seconds: float

    def got(self, threshold: float) -> str:
        return self.top if self.score >= threshold else NONE

    def right(self, threshold: float) -> bool:
        return self.got(threshold) == self.expect


def load_questions(path: Path = EVAL_FILE) -> list[tuple[str, str]]:
    """(text, expected entry id or "none") for each [[q]] of the evaluation set."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(q["text"], q["expect"]) for q in raw["q"]]


async def run(index: KnowledgeIndex, questions: list[tuple[str, str]]) -> list[Outcome]:
    """Ask every question, timing each answer (the search for the top entry is not timed)."""
    outcomes = []
    for text, expect in questions:
        started = time.perf_counter()
        await index.answer(text)
        elapsed = time.perf_counter() - started
        hits = await index.search(text, limit=1)  # the top entry even when not sure
        top = hits[0] if hits else None
        outcomes.append(Outcome(text, expect, top.entry_id if top else NONE,
                                top.score if top else 0.0, elapsed))
    return outcomes


def accuracy(outcomes: list[Outcome], threshold: float) -> float:
    return sum(o.right(threshold) for o in outcomes) / len(outcomes)


def report(outcomes: list[Outcome], threshold: float) -> None:
    """Accuracy overall and per kind of question, then every mistake."""
    answerable = [o for o in outcomes if o.expect != NONE]
    unanswerable = [o for o in outcomes if o.expect == NONE]
    print(f"questions: {len(outcomes)} ({len(answerable)} answerable, "
          f"{len(unanswerable)} none); threshold {threshold:.2f}")
    print(f"top-1 accuracy: {accuracy(outcomes, threshold):.3f}")
    if answerable:
        print(f"  answerable: {accuracy(answerable, threshold):.3f}")
    if unanswerable:
        print(f"  none:       {accuracy(unanswerable, threshold):.3f}")
    wrong = [o for o in outcomes if not o.right(threshold)]
    print(f"confusions ({len(wrong)}):")
    for o in sorted(wrong, key=lambda o: (o.expect, o.text)):
        print(f"  {o.text!r}: expected {o.expect}, got {o.got(threshold)} "
              f"(top {o.top}, score {o.score:.3f})")


def sweep(outcomes: list[Outcome]) -> None:
    """Accuracy at each threshold; the best range is where THRESHOLD belongs."""
    table = [(t / 100, accuracy(outcomes, t / 100)) for t in range(0, 101)]
    best = max(a for _, a in table)
    print("threshold sweep (threshold: accuracy):")
    for t, a in table:
        if t * 100 % 5 == 0 or a == best:
            print(f"  {t:.2f}: {a:.3f}{'  <- best' if a == best else ''}")


def replicate(entries: list[Entry], size: int) -> list[Entry]:
    """``size`` entries: copies of the real ones with their ids suffixed."""
    copies = []
    for n in range(size):
        entry = entries[n % len(entries)]
        copies.append(entry.model_copy(update={"id": f"{entry.id}-{n // len(entries)}"}))
    return copies


def ms_per_question(outcomes: list[Outcome]) -> str:
    """Mean, median and 95th percentile of the time to answer one question, in ms."""
    times = sorted(1000 * o.seconds for o in outcomes)
    mean = sum(times) / len(times)
    median, p95 = times[len(times) // 2], times[min(len(times) - 1, len(times) * 95 // 100)]
    return f"{mean:.3f} ms/question (median {median:.3f}, p95 {p95:.3f})"


async def timed_run(entries: list[Entry], questions: list[tuple[str, str]],
                    folder: Path, name: str) -> tuple[list[Outcome], float]:
    """Index ``entries`` in a fresh database; return outcomes and the indexing seconds."""
    conn = await open_database(folder / f"{name}.sqlite3")
    try:
        started = time.perf_counter()
        index = await KnowledgeIndex.open(conn, entries)
        indexing = time.perf_counter() - started
        await run(index, questions[:5])  # warm up caches
        return await run(index, questions), indexing
    finally:
        await conn.close()


async def main(show_sweep: bool) -> None:
    book = load_rulebook()
    entries = load_entries(book)
    questions = load_questions()
    print(f"entries: {len(entries)}")
    with tempfile.TemporaryDirectory() as tmp:
        outcomes, indexing = await timed_run(entries, questions, Path(tmp), "real")
        report(outcomes, THRESHOLD)
        if show_sweep:
            sweep(outcomes)
        print(f"real knowledge base ({len(entries)} entries): indexed in "
              f"{indexing * 1000:.0f} ms, {ms_per_question(outcomes)}")
        scaled, indexing = await timed_run(replicate(entries, SCALE), questions, Path(tmp),
                                           "scale")
        print(f"scaled to {SCALE} entries: indexed in {indexing * 1000:.0f} ms, "
              f"{ms_per_question(scaled)}; goal <= 2 ms")


if __name__ == "__main__":
    asyncio.run(main("--sweep" in sys.argv[1:]))
