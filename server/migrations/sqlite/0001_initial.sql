-- Palabre's first schema. Timestamps are Unix milliseconds (INTEGER) so the same values and
-- comparisons work on every backend.

CREATE TABLE threads (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    title       TEXT,
    locked      INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    created_at  INTEGER NOT NULL
);

CREATE TABLE comments (
    id              INTEGER PRIMARY KEY,
    thread_id       INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    -- Replies keep their parent: a deleted parent with replies stays as a placeholder row.
    parent_id       INTEGER REFERENCES comments (id),
    -- The top-level ancestor (itself for a top-level comment), so that a page of top-level
    -- comments fetches whole subtrees with one indexed lookup instead of a recursive query.
    root_id         INTEGER NOT NULL,
    depth           INTEGER NOT NULL CHECK (depth >= 0),
    status          TEXT    NOT NULL CHECK (status IN ('published', 'pending', 'deleted')),
    author          TEXT,
    email           TEXT,
    website         TEXT,
    avatar          TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    html            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    edited_at       INTEGER,
    likes           INTEGER NOT NULL DEFAULT 0 CHECK (likes >= 0),
    dislikes        INTEGER NOT NULL DEFAULT 0 CHECK (dislikes >= 0),
    -- SHA-256 of the edit token: a leaked database gives no one the power to edit.
    edit_token_hash BLOB    NOT NULL,
    -- Keyed hash of the poster's network address; the address itself is never stored.
    reader_hash     TEXT    NOT NULL,
    notify          INTEGER NOT NULL DEFAULT 0 CHECK (notify IN (0, 1))
);

-- Top-level comments of a thread in both chronological orders (the keyset pagination).
CREATE INDEX comments_thread_roots ON comments (thread_id, created_at, id) WHERE parent_id IS NULL;
-- Whole subtrees of a page of top-level comments, replies in chronological order.
CREATE INDEX comments_subtree ON comments (root_id, created_at, id);
-- "Does this comment have replies?" on delete, and foreign-key checks.
CREATE INDEX comments_parent ON comments (parent_id);
-- Published counts per thread (the counts endpoint).
CREATE INDEX comments_thread_status ON comments (thread_id, status);

CREATE TABLE votes (
    comment_id  INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    -- Keyed hash telling readers apart, as reader_hash above.
    voter       TEXT    NOT NULL,
    value       INTEGER NOT NULL CHECK (value IN (-1, 1)),
    PRIMARY KEY (comment_id, voter)
);

-- Server-wide values that must survive restarts and be shared by replicas (the secret key).
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
