-- A comment's id is never given again, not even after the newest comment is deleted: links,
-- feed entries, emails, the moderation log, readers' stored votes and edit tokens name
-- comments by id. A rowid alone is max + 1, so deleting the newest comment freed its id;
-- AUTOINCREMENT keeps the highest id ever used (sqlite_sequence). SQLite cannot add it to a
-- table, so the table is rebuilt (https://sqlite.org/lang_altertable.html#otheralter) with
-- foreign keys off, so that dropping the old table neither cascades to votes and imports nor
-- checks them half-way. That pragma does nothing inside a transaction, and sqlx runs every
-- SQLite migration in one (it ignores `-- no-transaction`): so this file ends sqlx's
-- transaction, rebuilds in its own, and opens a new one for sqlx's bookkeeping. Run twice
-- (a crash between the two commits), it rebuilds twice, harmlessly.
COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE comments_rebuilt (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    notify          INTEGER NOT NULL DEFAULT 0 CHECK (notify IN (0, 1)),
    spam            INTEGER NOT NULL DEFAULT 0 CHECK (spam IN (0, 1))
);

-- A rebuild run before (see above) left a sequence: kept.
CREATE TEMP TABLE earlier_sequence AS
    SELECT COALESCE(MAX(seq), 0) AS seq FROM sqlite_sequence WHERE name = 'comments';

INSERT INTO comments_rebuilt (id, thread_id, parent_id, root_id, depth, status, author, email,
        website, avatar, body, html, created_at, edited_at, likes, dislikes, edit_token_hash,
        reader_hash, notify, spam)
    SELECT id, thread_id, parent_id, root_id, depth, status, author, email, website, avatar,
        body, html, created_at, edited_at, likes, dislikes, edit_token_hash, reader_hash,
        notify, spam
    FROM comments;

DROP TABLE comments;
ALTER TABLE comments_rebuilt RENAME TO comments;

-- Ids given before this migration and since freed are known where something still names
-- them: the live-update events and the moderation log. The numbering starts past those too.
UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT seq FROM earlier_sequence),
        (SELECT COALESCE(MAX(comment_id), 0) FROM events),
        (SELECT COALESCE(MAX(CAST(substr(target, 9) AS INTEGER)), 0) FROM admin_log
            WHERE target LIKE 'comment %'))
    WHERE name = 'comments';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'comments', MAX((SELECT seq FROM earlier_sequence),
        (SELECT COALESCE(MAX(comment_id), 0) FROM events),
        (SELECT COALESCE(MAX(CAST(substr(target, 9) AS INTEGER)), 0) FROM admin_log
            WHERE target LIKE 'comment %'))
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'comments');

-- The indexes and triggers went with the old table: as migrations 0001 to 0007 made them.
CREATE INDEX comments_thread_roots ON comments (thread_id, created_at, id) WHERE parent_id IS NULL;
CREATE INDEX comments_subtree ON comments (root_id, created_at, id);
CREATE INDEX comments_parent ON comments (parent_id);
CREATE INDEX comments_thread_status ON comments (thread_id, status);
CREATE INDEX comments_status_created ON comments (status, created_at);
CREATE INDEX comments_reader_created ON comments (reader_hash, created_at);
CREATE INDEX comments_pending_created ON comments (created_at, id) WHERE status = 'pending';

CREATE TRIGGER comments_own_root AFTER INSERT ON comments WHEN NEW.root_id = 0 BEGIN
    UPDATE comments SET root_id = NEW.id WHERE id = NEW.id;
END;

CREATE TRIGGER comments_inserted AFTER INSERT ON comments BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence) WHERE id = NEW.thread_id;
    INSERT INTO events (seq, thread_id, comment_id, kind, at)
        VALUES ((SELECT seq FROM change_sequence), NEW.thread_id, NEW.id, 'comment',
                CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;

CREATE TRIGGER comments_changed AFTER UPDATE OF
    thread_id, parent_id, root_id, depth, status, author, website, avatar, html, created_at,
    edited_at, likes, dislikes
ON comments BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence)
        WHERE id IN (OLD.thread_id, NEW.thread_id);
    INSERT INTO events (seq, thread_id, comment_id, kind, at)
        VALUES ((SELECT seq FROM change_sequence), NEW.thread_id, NEW.id, 'comment',
                CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;

CREATE TRIGGER comments_deleted AFTER DELETE ON comments BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence) WHERE id = OLD.thread_id;
    INSERT INTO events (seq, thread_id, comment_id, kind, at)
        VALUES ((SELECT seq FROM change_sequence), OLD.thread_id, OLD.id, 'removed',
                CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;

DROP TABLE earlier_sequence;
COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;
