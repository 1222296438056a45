-- 0004_knowledge: the knowledge base entries and their full-text index.
--
-- The files in bot/knowledge/kb/*.toml are the source of truth: bot/knowledge/index.py
-- copies them here (in one transaction) whenever their content hash, kept in kb_meta,
-- changes. Nothing else writes these tables.

CREATE TABLE kb_entries (
    id         TEXT PRIMARY KEY,
    topic      TEXT NOT NULL CHECK (length(trim(topic)) > 0),
    answer     TEXT NOT NULL CHECK (length(trim(answer)) > 0),
    document   TEXT NOT NULL,
    article    TEXT,
    effective  TEXT NOT NULL CHECK (date(effective, '+0 days') IS effective),
    confidence TEXT NOT NULL CHECK (confidence IN ('unverified', 'medium', 'high', 'confirmed')),
    questions  TEXT NOT NULL CHECK (json_valid(questions) AND json_type(questions) = 'array')
) WITHOUT ROWID;

-- The normalised text of each entry (lowercase ASCII words, see bot/knowledge/normalize.py),
-- one column per field so bm25() can weight questions and topic above the answer.
-- The text is already folded, so unicode61 only splits on spaces.
CREATE VIRTUAL TABLE kb_fts USING fts5 (
    entry_id UNINDEXED,
    topic,
    questions,
    answer,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- key 'content_hash': hash of the entries and the normaliser's tables the index was built from.
CREATE TABLE kb_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
