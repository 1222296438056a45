"""The real knowledge base answers the evaluation set: top-1 accuracy of at least 90 %.

A question expected to have no answer ("none") counts as right only when the bot is not
sure. `python benchmarks/knowledge.py --sweep` prints the same figures and the threshold
sweep.
"""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path

import aiosqlite
import pytest

from bot.knowledge.base import Entry, load_entries
from bot.knowledge.index import KnowledgeIndex
from bot.rules.book import load_rulebook
from storage.db import open_database

EVAL_FILE = Path(__file__).with_name("eval_questions.toml")
KB_FOLDER = files("bot.knowledge").joinpath("kb")
MIN_ACCURACY = 0.90
MIN_QUESTIONS = 150

pytestmark = pytest.mark.skipif(
    not EVAL_FILE.is_file() or not KB_FOLDER.is_dir(),
    reason="the knowledge base (bot/knowledge/kb/*.toml) or the evaluation set "
           "(tests/knowledge/eval_questions.toml) is not written yet",
)


@pytest.fixture(scope="module")
def questions() -> list[tuple[str, str]]:
    """(question, expected entry id or "none") from the evaluation set."""
    raw = tomllib.loads(EVAL_FILE.read_text(encoding="utf-8"))
    return [(q["text"], q["expect"]) for q in raw["q"]]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    """The packaged knowledge base."""
    return load_entries(load_rulebook())


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "bot.sqlite3")
    yield connection
    await connection.close()


def test_the_evaluation_set_is_large_enough_and_names_real_entries(questions, entries):
    assert len(questions) >= MIN_QUESTIONS
    known = {e.id for e in entries} | {"none"}
    unknown = sorted({expect for _, expect in questions if expect not in known})
    assert not unknown, f"the evaluation set expects entries that do not exist: {unknown}"
    assert any(expect == "none" for _, expect in questions)


async def test_top_1_accuracy_is_at_least_90_percent(conn, questions, entries):
    index = await KnowledgeIndex.open(conn, entries)
    confusions = []
    for text, expect in questions:
        answer = await index.answer(text)
        got = answer.entry.id if answer.entry is not None else "none"
        if got != expect:
            confusions.append(f"{text!r}: expected {expect}, got {got} "
                              f"(score {answer.score:.3f})")
    accuracy = 1 - len(confusions) / len(questions)
    assert accuracy >= MIN_ACCURACY, (
        f"top-1 accuracy {accuracy:.3f} < {MIN_ACCURACY} on {len(questions)} questions; "
        f"confusions:\n" + "\n".join(confusions)
    )
