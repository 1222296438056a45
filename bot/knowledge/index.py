"""Retrieval over the knowledge base: an FTS5 index in SQLite, and a calibrated score.

:func:`sync_index` copies the entries and their normalised text into ``kb_entries`` /
``kb_fts`` (migration 0004), only when their content hash changed. :class:`KnowledgeIndex`
answers a question in two steps:

1. **Candidates** - the question's rarest words (those at most ``COMMON_SHARE`` of the
   entries use in their topic or questions, ``MAX_MATCH_WORDS`` at most), each quoted so
   user input is never FTS5 syntax, joined with OR and matched against the topic and
   questions columns (the answer column only when that finds nothing); ``bm25()`` keeps the
   best ``CANDIDATES``. Leaving out common words keeps this fast on a large knowledge base.
2. **Score** - each candidate gets a score in [0, 1] that means the same for every
   question, so one threshold decides "answer" or "not sure". The question is matched on
   its words and its adjacent word pairs ("ket_nap"), each weighted by its inverse
   document frequency over the entries (pairs count ``PAIR_WEIGHT`` as much; a word the
   knowledge base never uses weighs as much as the rarest word, so off-topic words pull
   the score down). Three signals, each in [0, 1], are summed with ``SIGNAL_WEIGHTS``:

   - ``match``: the best F1 between the question and any one of the entry's sample
     questions or its topic (weighted words shared, against the weight of both);
   - ``coverage``: the weighted share of the question found anywhere in the entry's
     topic and questions (what is found only in its answer counts ``ANSWER_CREDIT``);
   - ``bm25``: BM25 of the question against the entry's topic and questions (term
     frequency = how many of them use the word), divided by the most the question could
     score, and scaled by ``BM25_SCALE`` (capped at 1).

   Ties keep the FTS order.

``THRESHOLD`` and the weights were chosen on ``tests/knowledge/eval_questions.toml`` with
``benchmarks/knowledge.py --sweep``: the threshold maximises top-1 accuracy where a question
expected to have no answer counts as right only when :meth:`KnowledgeIndex.answer` is not
sure; the weights were checked not to hurt a leave-one-out run over the entries' own
sample questions.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import aiosqlite

from bot.knowledge.base import Entry
from bot.knowledge.normalize import Lexicon, Normalizer, load_lexicon, vocabulary_of
from storage.db import transaction

# Answer only when the best score reaches this (calibrated on the evaluation set).
THRESHOLD: Final = 0.37
# Closest other topics offered as "did you mean" need at least this score.
ALTERNATIVE_MIN_SCORE: Final = 0.25
MAX_ALTERNATIVES: Final = 3
# Scoring (see the module docstring): weights of (match, coverage, bm25), summing to 1.
SIGNAL_WEIGHTS: Final = (0.36, 0.24, 0.40)
PAIR_WEIGHT: Final = 0.3
UNKNOWN_PAIR_WEIGHT: Final = 0.3  # of an unknown word's weight: most unseen pairs are chance
ANSWER_CREDIT: Final = 0.5
BM25_K1: Final = 1.2
BM25_B: Final = 0.5
BM25_SCALE: Final = 1.5
# FTS5 bm25 column weights for (entry_id, topic, questions, answer); entry_id is unindexed.
FTS_WEIGHTS: Final = (0.0, 2.0, 3.0, 1.0)
CANDIDATES: Final = 20
# Only words used by at most this share of the entries select candidates (the score still
# counts every word); at most MAX_MATCH_WORDS of them, rarest first.
COMMON_SHARE: Final = 0.2
MAX_MATCH_WORDS: Final = 6
# Long questions are cut before matching: characters first, then words.
MAX_QUESTION_CHARS: Final = 4096
MAX_QUERY_TOKENS: Final = 300
# Bump when the way entries are written to the index changes.
INDEX_FORMAT: Final = 1
_HASH_KEY: Final = "content_hash"

_SEARCH_SQL: Final = f"""
    SELECT entry_id FROM kb_fts WHERE kb_fts MATCH ?
    ORDER BY bm25(kb_fts, {", ".join(str(w) for w in FTS_WEIGHTS)}) LIMIT ?
"""


@dataclass(frozen=True)
class Hit:
    """One entry found for a question; ``score`` is in [0, 1], higher is better."""

    entry_id: str
    score: float


@dataclass(frozen=True)
class Answer:
    """The entry to answer with (``None`` = not sure), and the closest other topics."""

    entry: Entry | None
    score: float
    alternatives: tuple[Entry, ...]


# ------------------------------------------------------------------------------ syncing


def knowledge_normalizer(entries: Iterable[Entry], lexicon: Lexicon | None = None) -> Normalizer:
    """The normaliser whose known words are every word of these entries."""
    texts = [t for e in entries for t in (e.topic, e.answer, *e.questions)]
    return Normalizer(lexicon or load_lexicon(), vocabulary_of(texts))


def content_hash(entries: Sequence[Entry], normalizer: Normalizer) -> str:
    """A hash of everything the index is built from: entries, lexicon, vocabulary."""
    digest = hashlib.sha256()
    digest.update(f"format {INDEX_FORMAT}\n".encode())
    digest.update(normalizer.lexicon.fingerprint().encode())
    digest.update(" ".join(sorted(normalizer.vocabulary)).encode())
    for entry in sorted(entries, key=lambda e: e.id):
        digest.update(entry.model_dump_json().encode())
    return digest.hexdigest()


async def sync_index(
    conn: aiosqlite.Connection, entries: Sequence[Entry], normalizer: Normalizer | None = None
) -> bool:
    """Rebuild the index in one transaction if the entries changed; True when rebuilt."""
    normalizer = normalizer or knowledge_normalizer(entries)
    wanted = content_hash(entries, normalizer)
    if await _stored_hash(conn) == wanted:
        return False
    async with transaction(conn):
        await conn.execute("DELETE FROM kb_fts")
        await conn.execute("DELETE FROM kb_entries")
        await conn.executemany(
            "INSERT INTO kb_entries (id, topic, answer, document, article, effective,"
            " confidence, questions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [_entry_row(e) for e in entries],
        )
        await conn.executemany(
            "INSERT INTO kb_fts (entry_id, topic, questions, answer) VALUES (?, ?, ?, ?)",
            [
                (e.id, normalizer.normalize(e.topic),
                 "\n".join(normalizer.normalize(q) for q in e.questions),
                 normalizer.normalize(e.answer))
                for e in entries
            ],
        )
        await conn.execute(
            "INSERT INTO kb_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_HASH_KEY, wanted),
        )
    return True


async def _stored_hash(conn: aiosqlite.Connection) -> str | None:
    async with conn.execute("SELECT value FROM kb_meta WHERE key = ?", (_HASH_KEY,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row[0])


def _entry_row(entry: Entry) -> tuple[object, ...]:
    return (
        entry.id, entry.topic, entry.answer, entry.source.document, entry.source.article,
        entry.effective.isoformat(), entry.confidence,
        json.dumps(list(entry.questions), ensure_ascii=False),
    )


# ------------------------------------------------------------------------------ scoring


def features(words: Sequence[str]) -> frozenset[str]:
    """The words and adjacent word pairs ("ket_nap") that a text is matched on."""
    return frozenset(words).union(f"{a}_{b}" for a, b in zip(words, words[1:]))


@dataclass(frozen=True)
class _Profile:
    """What an entry is matched on."""

    # feature of the topic or a question -> (its BM25 factor, indexes of the samples using it)
    postings: Mapping[str, tuple[float, tuple[int, ...]]]
    sample_weights: tuple[float, ...]  # total weight of the topic and of each question
    answer_only: frozenset[str]  # features found in the answer but in no sample


@dataclass(frozen=True)
class _Query:
    """A question's features with their weights."""

    weights: Mapping[str, float]
    total: float


@dataclass(frozen=True)
class _Scorer:
    """Scores a question against entries (pure; built once per index)."""

    profiles: Mapping[str, _Profile]
    idf: Mapping[str, float]
    unknown_idf: float
    field_share: Mapping[str, float]  # word -> share of entries whose topic/questions use it

    @classmethod
    def build(cls, entries: Sequence[Entry], normalizer: Normalizer) -> _Scorer:
        texts = {e.id: [features(normalizer.tokens(t)) for t in (e.topic, *e.questions)]
                 for e in entries}
        answers = {e.id: features(normalizer.tokens(e.answer)) for e in entries}
        df = Counter(f for e in entries for f in frozenset().union(*texts[e.id], answers[e.id]))
        size = len(entries)
        idf = MappingProxyType({f: math.log((size + 1) / (n + 0.5)) for f, n in df.items()})
        unknown_idf = math.log((size + 1) / 0.5)
        weigh = cls(MappingProxyType({}), idf, unknown_idf, MappingProxyType({})).weight
        used = Counter(w for e in entries for w in frozenset().union(*texts[e.id]) if "_" not in w)
        field_share = MappingProxyType({w: n / size for w, n in used.items()})
        lengths = {i: sum(len(s) for s in samples) for i, samples in texts.items()}
        average = sum(lengths.values()) / max(size, 1) or 1.0
        profiles = {}
        for entry_id, samples in texts.items():
            samples = [s for s in samples if s]
            counts = Counter(f for sample in samples for f in sample)
            k = BM25_K1 * (1 - BM25_B + BM25_B * lengths[entry_id] / average)
            profiles[entry_id] = _Profile(
                postings={
                    f: (n * (BM25_K1 + 1) / (n + k),
                        tuple(i for i, s in enumerate(samples) if f in s))
                    for f, n in counts.items()
                },
                sample_weights=tuple(sum(map(weigh, s)) for s in samples),
                answer_only=answers[entry_id] - counts.keys(),
            )
        return cls(MappingProxyType(profiles), idf, unknown_idf, field_share)

    def weight(self, feature: str) -> float:
        """A feature's weight: its idf (pairs count less; unknown ones count as rarest)."""
        pair = "_" in feature
        idf = self.idf.get(feature)
        if idf is None:
            idf = self.unknown_idf * (UNKNOWN_PAIR_WEIGHT if pair else 1.0)
        return idf * PAIR_WEIGHT if pair else idf

    def distinctive(self, words: Sequence[str]) -> list[str]:
        """The words that select candidates in the FTS index: those the topics and questions
        use, rarest first, leaving out words many entries use unless nothing else is left;
        failing those, the rarest words the answers use."""
        used = sorted((w for w in words if w in self.field_share), key=self.field_share.get)
        rare = [w for w in used if self.field_share[w] <= COMMON_SHARE]
        if not used:
            used = sorted((w for w in words if w in self.idf), key=lambda w: -self.idf[w])
        return (rare or used)[:MAX_MATCH_WORDS]

    def query(self, words: Sequence[str]) -> _Query:
        """The question's features, weighted."""
        weights = {f: self.weight(f) for f in features(words)}
        return _Query(weights, sum(weights.values()))

    def score(self, query: _Query, entry_id: str) -> float:
        """The entry's score in [0, 1] for a question."""
        profile = self.profiles.get(entry_id)
        if query.total <= 0 or profile is None:
            return 0.0
        shared = [0.0] * len(profile.sample_weights)
        in_fields = saturated = in_answer = 0.0
        for feature, weight in query.weights.items():
            posting = profile.postings.get(feature)
            if posting is None:
                if feature in profile.answer_only:
                    in_answer += weight
                continue
            in_fields += weight
            saturated += weight * posting[0]
            for index in posting[1]:
                shared[index] += weight
        match = max(
            (2 * s / (query.total + w) for s, w in zip(shared, profile.sample_weights)),
            default=0.0,
        )
        coverage = (in_fields + ANSWER_CREDIT * in_answer) / query.total
        bm25 = (saturated + ANSWER_CREDIT * in_answer) / (query.total * (BM25_K1 + 1))
        weights = SIGNAL_WEIGHTS
        return (weights[0] * match + weights[1] * coverage
                + weights[2] * min(1.0, BM25_SCALE * bm25))


# -------------------------------------------------------------------------------- index


class KnowledgeIndex:
    """Finds the entry that answers a question; open it with :meth:`open`."""

    def __init__(
        self, conn: aiosqlite.Connection, entries: Sequence[Entry], normalizer: Normalizer
    ) -> None:
        self._conn = conn
        self._entries = MappingProxyType({e.id: e for e in entries})
        self._normalizer = normalizer
        self._scorer = _Scorer.build(entries, normalizer)

    @classmethod
    async def open(
        cls,
        conn: aiosqlite.Connection,
        entries: Sequence[Entry],
        *,
        lexicon: Lexicon | None = None,
    ) -> KnowledgeIndex:
        """Sync the database index with ``entries`` (if needed) and keep them in memory."""
        normalizer = knowledge_normalizer(entries, lexicon)
        await sync_index(conn, entries, normalizer)
        return cls(conn, entries, normalizer)

    @property
    def entries(self) -> Mapping[str, Entry]:
        """The entries by id (e.g. for a "did you mean" button's callback)."""
        return self._entries

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None (e.g. a button from before the files changed)."""
        return self._entries.get(entry_id)

    def query_tokens(self, question: str) -> list[str]:
        """The distinct words of a question that are matched (cut to a safe length)."""
        words = self._normalizer.tokens(question[:MAX_QUESTION_CHARS])[:MAX_QUERY_TOKENS]
        return list(dict.fromkeys(words))

    async def search(self, question: str, limit: int = 3) -> list[Hit]:
        """The best ``limit`` entries for ``question``, best first (empty if none match)."""
        query = self.query_tokens(question)
        if limit <= 0 or not query:
            return []
        candidates = await self._candidates(self._scorer.distinctive(query), max(CANDIDATES, limit))
        weighted = self._scorer.query(query)
        ranked = sorted(
            ((self._scorer.score(weighted, entry_id), -order, entry_id)
             for order, entry_id in enumerate(candidates) if entry_id in self._entries),
            reverse=True,
        )
        return [Hit(entry_id, score) for score, _, entry_id in ranked[:limit]]

    async def _candidates(self, words: Sequence[str], size: int) -> list[str]:
        """Ids of the entries whose topic or questions use the words, best bm25 first; only
        when none does, of those whose answer does (they can still be offered as topics)."""
        if not words:
            return []
        either = " OR ".join(f'"{word}"' for word in words)  # quoted: never FTS5 syntax
        for match in (f"{{topic questions}} : ({either})", either):
            rows = await self._conn.execute_fetchall(_SEARCH_SQL, (match, size))
            if rows:
                return [row[0] for row in rows]
        return []

    async def answer(self, question: str) -> Answer:
        """The entry to answer with when the score reaches ``THRESHOLD``, else not sure."""
        hits = await self.search(question, limit=1 + MAX_ALTERNATIVES)
        if not hits:
            return Answer(entry=None, score=0.0, alternatives=())
        top = hits[0]
        sure = top.score >= THRESHOLD
        others = hits[1:] if sure else hits
        alternatives = tuple(
            self._entries[h.entry_id] for h in others if h.score >= ALTERNATIVE_MIN_SCORE
        )[:MAX_ALTERNATIVES]
        return Answer(
            entry=self._entries[top.entry_id] if sure else None,
            score=top.score,
            alternatives=alternatives,
        )
