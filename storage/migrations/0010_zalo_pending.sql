-- 0010_zalo_pending: Zalo hands an event out once, to whichever getUpdates call is
-- waiting. One fetched while the bot was stopping (its long poll cancelled) is kept here
-- and given to PTB by the next getUpdates instead of being lost.
ALTER TABLE zalo_events ADD COLUMN payload TEXT;
ALTER TABLE zalo_events ADD COLUMN delivered INTEGER NOT NULL DEFAULT 1
    CHECK (delivered IN (0, 1));
CREATE INDEX zalo_events_pending ON zalo_events (update_id) WHERE delivered = 0;
