-- 0001_core: organisational units, people, roles, candidates, stages, quotas, audit.
--
-- Conventions:
--   * timestamps are UTC ISO-8601 text ('2025-01-31T08:15:00.123Z');
--   * calendar dates are ISO text ('2025-01-31'), checked with date(x, '+0 days') IS x
--     (the modifier normalises, so '2025-02-30' is refused);
--   * JSON columns are checked with json_valid().
-- Applied by storage/migrations.py inside one transaction; do not add
-- BEGIN/COMMIT or PRAGMA user_version here.

-- Which unit kind may hang under which parent kind. A unit without a parent
-- (a root) may be of any kind. Later migrations may add rows here.
CREATE TABLE unit_kind_rules (
    child_kind  TEXT NOT NULL,
    parent_kind TEXT NOT NULL,
    PRIMARY KEY (child_kind, parent_kind)
) WITHOUT ROWID;

INSERT INTO unit_kind_rules (child_kind, parent_kind) VALUES
    ('commune_committee',    'province_committee'),
    ('grassroots_committee', 'province_committee'),
    ('grassroots_committee', 'commune_committee'),
    ('cell',                 'province_committee'),
    ('cell',                 'commune_committee'),
    ('cell',                 'grassroots_committee'),
    ('youth_base',           'province_committee'),
    ('youth_base',           'commune_committee'),
    ('youth_base',           'grassroots_committee'),
    ('youth_branch',         'youth_base'),
    ('youth_branch',         'cell');

CREATE TABLE units (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES units (id) ON DELETE RESTRICT,
    kind       TEXT NOT NULL CHECK (kind IN (
                   'province_committee', 'commune_committee', 'grassroots_committee',
                   'cell', 'youth_base', 'youth_branch')),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    short_name TEXT,
    code       TEXT UNIQUE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (parent_id IS NULL OR parent_id <> id)
);

CREATE INDEX units_parent_id ON units (parent_id);

-- A missing parent is left to the foreign key check (clearer error).
CREATE TRIGGER units_parent_kind_insert
BEFORE INSERT ON units
WHEN NEW.parent_id IS NOT NULL
 AND EXISTS (SELECT 1 FROM units WHERE id = NEW.parent_id)
 AND NOT EXISTS (
     SELECT 1 FROM units AS p
     JOIN unit_kind_rules AS r ON r.parent_kind = p.kind
     WHERE p.id = NEW.parent_id AND r.child_kind = NEW.kind)
BEGIN
    SELECT RAISE(ABORT, 'unit kind not allowed under this parent kind');
END;

CREATE TRIGGER units_parent_kind_update
BEFORE UPDATE OF parent_id, kind ON units
WHEN NEW.parent_id IS NOT NULL
 AND EXISTS (SELECT 1 FROM units WHERE id = NEW.parent_id)
 AND NOT EXISTS (
     SELECT 1 FROM units AS p
     JOIN unit_kind_rules AS r ON r.parent_kind = p.kind
     WHERE p.id = NEW.parent_id AND r.child_kind = NEW.kind)
BEGIN
    SELECT RAISE(ABORT, 'unit kind not allowed under this parent kind');
END;

CREATE TRIGGER units_children_kind_update
BEFORE UPDATE OF kind ON units
WHEN EXISTS (
    SELECT 1 FROM units AS c
    WHERE c.parent_id = NEW.id
      AND NOT EXISTS (
          SELECT 1 FROM unit_kind_rules AS r
          WHERE r.parent_kind = NEW.kind AND r.child_kind = c.kind))
BEGIN
    SELECT RAISE(ABORT, 'unit kind not allowed for its existing children');
END;

CREATE TABLE people (
    id         INTEGER PRIMARY KEY,
    full_name  TEXT NOT NULL CHECK (length(trim(full_name)) > 0),
    phone      TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- How a chat user (per channel) maps to a person.
CREATE TABLE identities (
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL CHECK (channel IN ('telegram', 'zalo', 'emulator')),
    external_id  TEXT NOT NULL CHECK (length(external_id) > 0),
    chat_id      TEXT,
    display_name TEXT,
    PRIMARY KEY (channel, external_id)
) WITHOUT ROWID;

CREATE INDEX identities_person_id ON identities (person_id);

CREATE TABLE roles (
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    unit_id    INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN (
                   'admin', 'cell_secretary', 'cell_deputy',
                   'youth_secretary', 'youth_deputy', 'member')),
    granted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    granted_by INTEGER REFERENCES people (id) ON DELETE SET NULL,
    PRIMARY KEY (person_id, unit_id, role)
) WITHOUT ROWID;

CREATE INDEX roles_unit_id ON roles (unit_id, role);

-- Candidates are never deleted once they have stage events (stage_events is
-- append-only, see below); they leave the pipeline through a terminal stage.
CREATE TABLE candidates (
    id              INTEGER PRIMARY KEY,
    full_name       TEXT NOT NULL CHECK (length(trim(full_name)) > 0),
    name_folded     TEXT NOT NULL,  -- lowercase, no diacritics, đ -> d
    birth_date      TEXT CHECK (birth_date IS NULL OR date(birth_date, '+0 days') IS birth_date),
    gender          TEXT CHECK (gender IN ('male', 'female', 'other')),
    cell_id         INTEGER NOT NULL REFERENCES units (id) ON DELETE RESTRICT,
    youth_branch_id INTEGER REFERENCES units (id) ON DELETE SET NULL,
    is_doan_vien    INTEGER NOT NULL DEFAULT 0 CHECK (is_doan_vien IN (0, 1)),
    segment         TEXT CHECK (segment IN (
                        'thpt', 'university', 'non_state_enterprise', 'residential',
                        'state_agency', 'armed_forces', 'other')),
    helper_name     TEXT,
    note            TEXT,
    created_by      INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX candidates_cell_id ON candidates (cell_id);
CREATE INDEX candidates_youth_branch_id ON candidates (youth_branch_id)
    WHERE youth_branch_id IS NOT NULL;
CREATE INDEX candidates_name_folded ON candidates (name_folded);

-- cell_id must point at a 'cell', youth_branch_id at a 'youth_branch'
-- (a missing unit is left to the foreign key check).
CREATE TRIGGER candidates_unit_kinds_insert
BEFORE INSERT ON candidates
WHEN (SELECT kind FROM units WHERE id = NEW.cell_id) <> 'cell'
  OR (SELECT kind FROM units WHERE id = NEW.youth_branch_id) <> 'youth_branch'
BEGIN
    SELECT RAISE(ABORT, 'candidate cell_id must be a cell and youth_branch_id a youth_branch');
END;

CREATE TRIGGER candidates_unit_kinds_update
BEFORE UPDATE OF cell_id, youth_branch_id ON candidates
WHEN (SELECT kind FROM units WHERE id = NEW.cell_id) <> 'cell'
  OR (SELECT kind FROM units WHERE id = NEW.youth_branch_id) <> 'youth_branch'
BEGIN
    SELECT RAISE(ABORT, 'candidate cell_id must be a cell and youth_branch_id a youth_branch');
END;

-- Append-only history of a candidate's stages. A correction is a new row whose
-- supersedes_id points at the row it replaces; rows are never updated or deleted.
CREATE TABLE stage_events (
    id            INTEGER PRIMARY KEY,
    candidate_id  INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    stage         TEXT NOT NULL CHECK (length(stage) > 0),
    event_date    TEXT NOT NULL CHECK (date(event_date, '+0 days') IS event_date),
    note          TEXT,
    recorded_by   INTEGER REFERENCES people (id),
    recorded_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    supersedes_id INTEGER REFERENCES stage_events (id)
);

CREATE INDEX stage_events_candidate ON stage_events (candidate_id, event_date, id);
CREATE INDEX stage_events_stage ON stage_events (stage, event_date);
CREATE INDEX stage_events_supersedes ON stage_events (supersedes_id)
    WHERE supersedes_id IS NOT NULL;

CREATE TRIGGER stage_events_supersedes_same_candidate
BEFORE INSERT ON stage_events
WHEN NEW.supersedes_id IS NOT NULL
 AND NOT EXISTS (
     SELECT 1 FROM stage_events
     WHERE id = NEW.supersedes_id AND candidate_id = NEW.candidate_id)
BEGIN
    SELECT RAISE(ABORT, 'supersedes_id must reference an event of the same candidate');
END;

-- Also fires for foreign key actions, so deleting a candidate (ON DELETE
-- CASCADE) or a recorder with events is refused as well.
CREATE TRIGGER stage_events_no_update
BEFORE UPDATE ON stage_events
BEGIN
    SELECT RAISE(ABORT, 'stage_events is append-only');
END;

CREATE TRIGGER stage_events_no_delete
BEFORE DELETE ON stage_events
BEGIN
    SELECT RAISE(ABORT, 'stage_events is append-only');
END;

-- Admission targets. segment NULL means "all segments"; uniqueness treats
-- NULL as a value, hence the expression index instead of a UNIQUE constraint.
CREATE TABLE quotas (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    period_kind  TEXT NOT NULL CHECK (period_kind IN ('year', 'term')),
    period_start TEXT NOT NULL CHECK (date(period_start, '+0 days') IS period_start),
    period_end   TEXT NOT NULL CHECK (date(period_end, '+0 days') IS period_end),
    segment      TEXT CHECK (segment IN (
                     'thpt', 'university', 'non_state_enterprise', 'residential',
                     'state_agency', 'armed_forces', 'other')),
    target       INTEGER NOT NULL CHECK (target >= 0),
    CHECK (period_end >= period_start)
);

CREATE UNIQUE INDEX quotas_period
    ON quotas (unit_id, period_kind, period_start, ifnull(segment, ''));

-- Known membership of a unit, for the NQ 21 norm (admissions 3-4% a year).
CREATE TABLE unit_membership (
    unit_id              INTEGER PRIMARY KEY REFERENCES units (id) ON DELETE CASCADE,
    full_members         INTEGER CHECK (full_members >= 0),
    probationary_members INTEGER CHECK (probationary_members >= 0),
    as_of                TEXT CHECK (as_of IS NULL OR date(as_of, '+0 days') IS as_of)
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    person_id    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    action       TEXT NOT NULL CHECK (length(action) > 0),
    subject_type TEXT,
    subject_id   INTEGER,
    detail       TEXT CHECK (detail IS NULL OR json_valid(detail))
);

CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id);
CREATE INDEX audit_log_at ON audit_log (at);
