"""Loading the knowledge base and finding the entry that answers a question."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path

import aiosqlite
import pytest

from bot.knowledge.base import MAX_ANSWER_CHARS, Entry, KnowledgeError, load_entries
from bot.knowledge.index import (
    MAX_ALTERNATIVES,
    THRESHOLD,
    Answer,
    Hit,
    KnowledgeIndex,
    knowledge_normalizer,
    sync_index,
)
from bot.knowledge.normalize import load_lexicon
from bot.rules.book import UNVERIFIED_NOTE, RuleBook, load_rulebook
from storage.db import open_database

CONDITIONS = '''
[[entry]]
id = "tuoi-toi-thieu"
topic = "Tuổi tối thiểu để vào Đảng"
answer = """Người vào Đảng phải đủ 18 tuổi, tính theo tháng đến ngày chi bộ xét."""
source = { document = "qd_294", article = "điểm 1.1" }
effective = 2025-07-01
confidence = "confirmed"
questions = ["bao nhiêu tuổi thì được vào Đảng", "mấy tuổi được kết nạp đảng"]

[[entry]]
id = "hoc-van"
topic = "Trình độ học vấn của người vào Đảng"
answer = """Phải tốt nghiệp trung học cơ sở trở lên, trừ vùng đặc biệt khó khăn."""
source = { document = "qd_294", article = "điểm 1.4" }
effective = 2025-07-01
confidence = "high"
questions = ["cần bằng cấp gì để vào Đảng", "chưa tốt nghiệp cấp 2 có được kết nạp không"]
'''

PROCEDURE = '''
[[entry]]
id = "du-bi-bao-lau"
topic = "Thời gian dự bị"
answer = """Đảng viên dự bị có 12 tháng dự bị, tính từ ngày lễ kết nạp."""
source = { document = "dieu_le", article = "Điều 5" }
effective = 2025-07-01
confidence = "confirmed"
questions = ["đảng viên dự bị bao lâu thì chuyển chính thức", "thời gian dự bị mấy tháng"]

[[entry]]
id = "le-ket-nap"
topic = "Thời hạn tổ chức lễ kết nạp"
answer = """Chi bộ tổ chức lễ kết nạp trong 30 ngày làm việc kể từ khi nhận quyết định."""
source = { document = "qd_294", article = "điểm 4.1" }
effective = 2025-07-01
confidence = "confirmed"
questions = ["lễ kết nạp phải tổ chức trong bao lâu", "nhận quyết định rồi bao lâu thì kết nạp"]

[[entry]]
id = "giay-chung-nhan"
topic = "Thời hạn giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng"
answer = """Giấy chứng nhận có giá trị 60 tháng kể từ ngày cấp."""
source = { document = "hd_12" }
effective = 2025-07-01
confidence = "unverified"
questions = ["giấy chứng nhận lớp cảm tình đảng có thời hạn bao lâu"]
'''


def write_kb(folder: Path, **files: str) -> Path:
    """Write knowledge-base files named after the keyword arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def book() -> RuleBook:
    """The packaged rule book (its documents table is what entries cite)."""
    return load_rulebook()


@pytest.fixture
def entries(book: RuleBook, tmp_path: Path) -> list[Entry]:
    """Five fixture entries in two files."""
    return load_entries(book, write_kb(tmp_path / "kb", conditions=CONDITIONS,
                                       procedure=PROCEDURE))


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A migrated database in a real file."""
    connection = await open_database(tmp_path / "bot.sqlite3")
    yield connection
    await connection.close()


@pytest.fixture
async def index(conn: aiosqlite.Connection, entries: list[Entry]) -> KnowledgeIndex:
    """The index over the fixture entries."""
    return await KnowledgeIndex.open(conn, entries)


# ------------------------------------------------------------------------------ loading


def test_entries_are_loaded_from_every_file_sorted_by_file_name(entries):
    assert [e.id for e in entries] == [
        "tuoi-toi-thieu", "hoc-van", "du-bi-bao-lau", "le-ket-nap", "giay-chung-nhan",
    ]
    first = entries[0]
    assert first.questions == ("bao nhiêu tuổi thì được vào Đảng", "mấy tuổi được kết nạp đảng")
    assert first.source.citation() == "Quy định 294-QĐ/TW, điểm 1.1"


def test_an_unverified_entry_cites_its_source_with_the_check_note(entries):
    unverified = next(e for e in entries if e.id == "giay-chung-nhan")
    assert unverified.source.citation().endswith(f"({UNVERIFIED_NOTE})")
    assert "cần kiểm tra lại văn bản gốc" in unverified.source.citation()


def test_every_problem_is_reported_at_once_with_its_file(book, tmp_path):
    bad = f'''
[[entry]]
id = "tuoi-toi-thieu"
topic = "Trùng id"
answer = "{"x" * (MAX_ANSWER_CHARS + 1)}"
source = {{ document = "khong_co" }}
effective = 2025-07-01
confidence = "high"
questions = []

[[entry]]
id = "thieu-cau-tra-loi"
topic = "Trống"
answer = "   "
source = {{ document = "dieu_le" }}
effective = 2025-07-01
confidence = "sure"
questions = ["hỏi"]
'''
    folder = write_kb(tmp_path / "kb", conditions=CONDITIONS, broken=bad,
                      unreadable="[[entry]\nid = ")
    with pytest.raises(KnowledgeError) as caught:
        load_entries(book, folder)
    message = str(caught.value)
    assert "unreadable.toml: not valid TOML" in message
    assert "duplicate id (in broken.toml, conditions.toml)" in message
    assert "broken.toml: entry 'tuoi-toi-thieu': unknown document 'khong_co'" in message
    assert f"at most {MAX_ANSWER_CHARS}" in message
    assert "needs at least one question" in message
    assert "broken.toml: entry 'thieu-cau-tra-loi': confidence" in message


def test_an_empty_answer_is_refused(book, tmp_path):
    text = PROCEDURE.replace("Giấy chứng nhận có giá trị 60 tháng kể từ ngày cấp.", " ")
    with pytest.raises(KnowledgeError, match="'giay-chung-nhan': empty answer"):
        load_entries(book, write_kb(tmp_path / "kb", procedure=text))


def test_a_missing_or_empty_folder_is_an_error(book, tmp_path):
    with pytest.raises(KnowledgeError, match="not found"):
        load_entries(book, tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(KnowledgeError, match="no \\*.toml files"):
        load_entries(book, tmp_path / "empty")


# ----------------------------------------------------------------------------- searching


async def test_a_sample_question_finds_its_entry(index):
    answer = await index.answer("lễ kết nạp phải tổ chức trong bao lâu")
    assert answer.entry is not None and answer.entry.id == "le-ket-nap"
    assert answer.score >= THRESHOLD


async def test_a_paraphrase_typed_without_diacritics_finds_its_entry(index):
    answer = await index.answer("cho em hoi bn tuoi thi dc vo dang a")
    assert answer.entry is not None and answer.entry.id == "tuoi-toi-thieu"
    answer = await index.answer("du bi may thang thi len chinh thuc")
    assert answer.entry is not None and answer.entry.id == "du-bi-bao-lau"
    answer = await index.answer("giay chung nhan hoc cam tinh dang het han chua")
    assert answer.entry is not None and answer.entry.id == "giay-chung-nhan"


async def test_telex_leftovers_still_find_the_entry(index):
    answer = await index.answer("bao nhieeu tuooir thif dduowcj vaof ddangr")
    assert answer.entry is not None and answer.entry.id == "tuoi-toi-thieu"


async def test_an_off_topic_question_is_not_answered(index):
    answer = await index.answer("giá vàng hôm nay bao nhiêu")
    assert answer.entry is None
    assert len(answer.alternatives) <= MAX_ALTERNATIVES
    weather = await index.answer("thời tiết Hà Nội ngày mai")
    assert weather.entry is None and weather.alternatives == ()
    nothing = await index.answer("pizza hawaii")
    assert nothing == Answer(entry=None, score=0.0, alternatives=())


async def test_a_vague_question_offers_the_closest_topics(index):
    answer = await index.answer("lớp bồi dưỡng")
    assert answer.entry is None or answer.entry.id == "giay-chung-nhan"
    assert len(answer.alternatives) <= MAX_ALTERNATIVES
    assert all(isinstance(e, Entry) for e in answer.alternatives)


async def test_words_found_only_in_an_answer_give_a_low_score(index):
    hits = await index.search("vùng đặc biệt khó khăn")
    assert [h.entry_id for h in hits] == ["hoc-van"]
    assert hits[0].score < THRESHOLD


async def test_search_returns_hits_best_first_with_scores_between_0_and_1(index):
    hits = await index.search("kết nạp đảng bao lâu", limit=3)
    assert 1 <= len(hits) <= 3
    assert all(isinstance(h, Hit) and 0 <= h.score <= 1 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert await index.search("kết nạp", limit=0) == []


@pytest.mark.parametrize(
    "hostile",
    ['"', '""', "*", "tuổi*", "NEAR(", "NEAR(a b)", "-", "- dang", "AND OR", "AND", "NOT",
     "^dang", "dang:", "topic: tuoi", "(", ")", "{a b}", "'; DROP TABLE kb_fts; --", "+", ":"],
)
async def test_fts_syntax_in_a_question_does_not_crash(index, hostile):
    answer = await index.answer(hostile)
    assert isinstance(answer, Answer)
    assert isinstance(await index.search(hostile), list)


@pytest.mark.parametrize("question", ["", "   ", "?!...", "🙂🙂", "中文", "a" * 5000,
                                      "đảng viên " * 1000, "\x00\x01"])
async def test_empty_odd_or_huge_questions_do_not_crash(index, question):
    answer = await index.answer(question)
    assert isinstance(answer, Answer)


async def test_the_index_can_be_looked_up_by_entry_id(index):
    assert index.entry("le-ket-nap").topic == "Thời hạn tổ chức lễ kết nạp"
    assert index.entry("no-such-entry") is None
    assert set(index.entries) == {
        "tuoi-toi-thieu", "hoc-van", "du-bi-bao-lau", "le-ket-nap", "giay-chung-nhan",
    }


# ------------------------------------------------------------------------------- syncing


async def count_rows(conn: aiosqlite.Connection, table: str) -> int:
    async with conn.execute(f"SELECT count(*) FROM {table}") as cursor:
        return (await cursor.fetchone())[0]


async def test_the_index_is_rebuilt_only_when_the_content_changes(conn, entries, book, tmp_path):
    assert await sync_index(conn, entries) is True
    assert await count_rows(conn, "kb_entries") == await count_rows(conn, "kb_fts") == 5
    assert await sync_index(conn, entries) is False

    changed = load_entries(book, write_kb(
        tmp_path / "kb2", conditions=CONDITIONS,
        procedure=PROCEDURE.replace("60 tháng", "5 năm"),
    ))
    assert await sync_index(conn, changed) is True
    assert await sync_index(conn, changed) is False
    async with conn.execute("SELECT answer FROM kb_entries WHERE id = 'giay-chung-nhan'") as c:
        assert "5 năm" in (await c.fetchone())[0]

    fewer = [e for e in changed if e.id != "hoc-van"]
    assert await sync_index(conn, fewer) is True
    assert await count_rows(conn, "kb_entries") == await count_rows(conn, "kb_fts") == 4


async def test_the_index_is_rebuilt_when_the_lexicon_changes(conn, entries):
    assert await sync_index(conn, entries) is True
    text = files("bot.knowledge").joinpath("lexicon.toml").read_text(encoding="utf-8")
    assert await sync_index(conn, entries, knowledge_normalizer(entries, load_lexicon(text))) is False
    changed = load_lexicon(text.replace('"CB" = "chi bộ"', '"CB" = "cán bộ"'))
    assert await sync_index(conn, entries, knowledge_normalizer(entries, changed)) is True


async def test_the_index_survives_reopening_the_database(tmp_path, entries):
    path = tmp_path / "reopen.sqlite3"
    first = await open_database(path)
    try:
        assert await sync_index(first, entries) is True
    finally:
        await first.close()
    again = await open_database(path)
    try:
        assert await sync_index(again, entries) is False
        index = await KnowledgeIndex.open(again, entries)
        answer = await index.answer("le ket nap trong bao lau")
        assert answer.entry is not None and answer.entry.id == "le-ket-nap"
    finally:
        await again.close()


async def test_entries_are_stored_with_their_source_and_questions(conn, index):
    async with conn.execute(
        "SELECT document, article, effective, confidence, json_array_length(questions)"
        " FROM kb_entries WHERE id = 'tuoi-toi-thieu'"
    ) as cursor:
        row = tuple(await cursor.fetchone())
    assert row == ("qd_294", "điểm 1.1", "2025-07-01", "confirmed", 2)
