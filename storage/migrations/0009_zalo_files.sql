-- 0009_zalo_files: files Zalo cannot receive as uploads (reports, charts), kept for a
-- while under an unguessable token and served by the webhook endpoint as links/photos.
CREATE TABLE zalo_files (
    token      TEXT PRIMARY KEY,
    filename   TEXT NOT NULL,
    mime       TEXT NOT NULL,
    data       BLOB NOT NULL,
    expires_at TEXT NOT NULL
);
