-- 0007_reminders: each person's weekly digest schedule, the delivery log, the sender lease.
--
-- No settings row means the default: on, Monday 07:30 local time, for youth union
-- secretaries; off for everyone else (cell secretaries and deputies opt in).

CREATE TABLE reminder_settings (
    person_id       INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    state           TEXT NOT NULL CHECK (state IN ('on', 'paused', 'off')),
    weekday         INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),  -- 0 = Monday
    local_time      TEXT NOT NULL
                    CHECK (local_time GLOB '[0-2][0-9]:[0-5][0-9]' AND local_time < '24:00'),
    paused_until    TEXT CHECK (paused_until IS NULL
                                OR date(paused_until, '+0 days') IS paused_until),
    when_empty      TEXT NOT NULL DEFAULT 'line' CHECK (when_empty IN ('line', 'nothing')),
    -- When the day, time or state last changed: a slot earlier than this is not owed.
    schedule_since  TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- One row per (person, week): the source of truth that makes delivery exactly once.
--   sending  the request is on its way (written right before the HTTP call);
--   sent     delivered (message_id known);
--   empty    nothing to report and the person chose to get nothing;
--   retry    refused before delivery (429 after retries, server error): try again later;
--   failed   never deliverable this week (blocked the bot, chat gone, gave up);
--   unknown  the process died or timed out during the call: never resent, shown to admins.
CREATE TABLE reminder_deliveries (
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    week        TEXT NOT NULL CHECK (week GLOB '[0-9][0-9][0-9][0-9]-W[0-5][0-9]'),
    status      TEXT NOT NULL
                CHECK (status IN ('sending', 'sent', 'empty', 'retry', 'failed', 'unknown')),
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    run_id      TEXT,
    channel     TEXT,
    chat_id     TEXT,
    message_id  INTEGER,
    error       TEXT,
    claimed_at  TEXT,
    finished_at TEXT,
    PRIMARY KEY (person_id, week)
) WITHOUT ROWID;

CREATE INDEX reminder_deliveries_week ON reminder_deliveries (week, status);

-- At most one process sends digests at a time (the bot, or `python -m bot remind`).
CREATE TABLE reminder_lease (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    owner      TEXT NOT NULL,
    renewed_at TEXT NOT NULL
);
