-- Moderation, admin pages and spam defence.

-- Hidden threads show no comments to readers and take no new ones.
ALTER TABLE threads ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));

-- Marked as spam by a moderator: kept (status stays 'pending', so never shown) for the record
-- and out of the queue. A flag rather than a status: SQLite cannot alter the status CHECK
-- without rebuilding the table, which would cascade-delete votes.
ALTER TABLE comments ADD COLUMN spam INTEGER NOT NULL DEFAULT 0 CHECK (spam IN (0, 1));

-- The moderation queue, oldest first; the admin list filters by status.
CREATE INDEX comments_status_created ON comments (status, created_at);
-- Recent posts per reader: the proof-of-work difficulty rises for fast posters.
CREATE INDEX comments_reader_created ON comments (reader_hash, created_at);

CREATE TABLE admins (
    name           TEXT PRIMARY KEY,
    -- Argon2id in PHC string format; the password itself is never stored.
    password_hash  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);

-- Signed-in admin sessions; in the database so that replicas share them.
CREATE TABLE admin_sessions (
    -- SHA-256 of the cookie value: a leaked database opens no session.
    token_hash  BLOB PRIMARY KEY,
    admin       TEXT    NOT NULL,
    csrf_token  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- Who did what, when, in the admin pages or through signed email links.
CREATE TABLE admin_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    target  TEXT    NOT NULL,
    detail  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX admin_log_at ON admin_log (at);

-- Emails (lowercased) and reader hashes that may not post.
CREATE TABLE blocks (
    kind        TEXT    NOT NULL CHECK (kind IN ('email', 'reader')),
    value       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
);

-- Proof-of-work challenges already spent (replay protection); rows are purged once expired.
CREATE TABLE spent_challenges (
    nonce       TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);
