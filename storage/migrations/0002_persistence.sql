-- 0002_persistence: tables for storage.persistence.SQLitePersistence
-- (python-telegram-bot user/chat/bot/callback data and conversation states).
-- Every data/state column holds JSON.

CREATE TABLE ptb_user_data (
    user_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL CHECK (json_valid(data))
);

CREATE TABLE ptb_chat_data (
    chat_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL CHECK (json_valid(data))
);

CREATE TABLE ptb_bot_data (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL CHECK (json_valid(data))
);

CREATE TABLE ptb_callback_data (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL CHECK (json_valid(data))
);

-- key is the conversation key as a compact JSON list, e.g. '[123,456]'.
CREATE TABLE ptb_conversations (
    name  TEXT NOT NULL,
    key   TEXT NOT NULL CHECK (json_valid(key)),
    state TEXT NOT NULL CHECK (json_valid(state)),
    PRIMARY KEY (name, key)
) WITHOUT ROWID;
