-- Each candidate's current stage, kept on the candidate row so that unit reports and
-- searches need no window over all stage events.
--
-- The definition is the rule book's (bot.rules.evaluate.current_stage): among the
-- effective (not superseded) events whose stage the rule book knows, a terminal outcome
-- wins, then the final stage (full membership), then the latest date, then the later
-- stage in pipeline order. `stage_ranking` holds the rule book's part of it (written at
-- start-up by storage.current.sync_stage_ranking, which recomputes every candidate when
-- the ranking changes); the trigger below recomputes one candidate per new event.
CREATE TABLE stage_ranking (
    stage    TEXT PRIMARY KEY,
    ends     INTEGER NOT NULL CHECK (ends IN (0, 1, 2)),  -- 2 terminal, 1 final stage
    position INTEGER NOT NULL                              -- the rule book's order
) WITHOUT ROWID;

ALTER TABLE candidates ADD COLUMN current_stage TEXT;
ALTER TABLE candidates ADD COLUMN current_stage_date TEXT
    CHECK (current_stage_date IS NULL OR date(current_stage_date, '+0 days') IS current_stage_date);

-- Unit reports count by stage, date and segment from these indexes alone; they replace
-- the single-column unit indexes of 0001.
DROP INDEX candidates_cell_id;
DROP INDEX candidates_youth_branch_id;
CREATE INDEX candidates_cell_current
    ON candidates (cell_id, current_stage, current_stage_date, segment);
CREATE INDEX candidates_branch_current
    ON candidates (youth_branch_id, current_stage, current_stage_date, segment)
    WHERE youth_branch_id IS NOT NULL;

-- The effective events of known stages with their ranking; the current stage of a
-- candidate is the first of its rows ORDER BY ends DESC, event_date DESC, position DESC.
CREATE VIEW ranked_events AS
    SELECT e.candidate_id, e.stage, e.event_date, r.ends, r.position
    FROM stage_events AS e JOIN stage_ranking AS r ON r.stage = e.stage
    WHERE NOT EXISTS (SELECT 1 FROM stage_events AS s WHERE s.supersedes_id = e.id);

CREATE TRIGGER stage_events_current_stage
AFTER INSERT ON stage_events
BEGIN
    UPDATE candidates SET (current_stage, current_stage_date) = (
        SELECT stage, event_date FROM ranked_events
        WHERE candidate_id = NEW.candidate_id
        ORDER BY ends DESC, event_date DESC, position DESC
        LIMIT 1)
    WHERE id = NEW.candidate_id;
END;
