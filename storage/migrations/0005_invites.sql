-- Invitations to take a role on a unit: single use, with an expiry.
CREATE TABLE invites (
    code        TEXT PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'cell_secretary', 'cell_deputy',
                                              'youth_secretary', 'youth_deputy', 'member')),
    created_by  INTEGER REFERENCES people (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     INTEGER REFERENCES people (id),
    used_at     TEXT
);
CREATE INDEX invites_unit ON invites (unit_id);
