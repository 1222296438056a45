-- 0008_zalo: what the Zalo transport needs to look like Telegram to PTB.
--
-- Zalo ids (users, chats, messages) are hex strings; PTB and our tables use integers.
-- Each Zalo id gets a stable local integer (the app adds 2^53 so it never meets a
-- Telegram id in shared tables such as form drafts).
CREATE TABLE zalo_ids (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL CHECK (kind IN ('peer', 'message')),  -- peer: a user or a chat
    zalo_id  TEXT NOT NULL CHECK (length(zalo_id) > 0),
    UNIQUE (kind, zalo_id)
);

-- Zalo events have no update id: each event received gets one here, and an event seen
-- twice (same name and message id, e.g. a webhook retried) is dropped.
CREATE TABLE zalo_events (
    update_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key   TEXT NOT NULL UNIQUE,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One person on two channels: /lienket on one gives a code, typing it on the other links
-- that chat identity to the same person (so the same roles).
CREATE TABLE link_codes (
    code       TEXT PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
