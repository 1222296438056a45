-- 0003_forms: half-filled chat forms, and indexes for candidate search.
--
-- A draft is the state of one form a user is filling in one chat; answers is a
-- JSON object of the answers given so far. Timestamps are UTC ISO-8601 text.

CREATE TABLE form_drafts (
    user_id    INTEGER NOT NULL,
    chat_id    INTEGER NOT NULL,
    form       TEXT NOT NULL CHECK (length(form) > 0),
    step       TEXT NOT NULL,
    answers    TEXT NOT NULL CHECK (json_valid(answers)),
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, chat_id)
) WITHOUT ROWID;

-- Candidate search filters by unit first and then scans the folded names of
-- that unit's candidates; these indexes let it read the names from the index.
CREATE INDEX candidates_cell_name ON candidates (cell_id, name_folded);
CREATE INDEX candidates_youth_branch_name ON candidates (youth_branch_id, name_folded)
    WHERE youth_branch_id IS NOT NULL;
