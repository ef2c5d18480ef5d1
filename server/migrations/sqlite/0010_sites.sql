-- Several blogs on one server: a thread belongs to a site (`[[site]]` in the configuration),
-- and its key is unique within that site only, so `/about` on two blogs is two threads. Every
-- thread stored before is the site named `default`, which a server without `[[site]]` tables
-- serves, so a single-blog database keeps working unchanged.
-- SQLite cannot change a UNIQUE constraint, so the table is rebuilt as 0008 rebuilt comments:
-- out of sqlx's transaction, foreign keys off, ids kept. The comments' triggers name threads
-- and would not survive its renaming; they are dropped first and made again below, as 0008
-- made them.
COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

DROP TRIGGER IF EXISTS comments_inserted;
DROP TRIGGER IF EXISTS comments_changed;
DROP TRIGGER IF EXISTS comments_deleted;
DROP TABLE IF EXISTS threads_rebuilt;

CREATE TABLE threads_rebuilt (
    id          INTEGER PRIMARY KEY,
    site        TEXT    NOT NULL DEFAULT 'default',
    key         TEXT    NOT NULL,
    title       TEXT,
    locked      INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    created_at  INTEGER NOT NULL,
    hidden      INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    changed_seq INTEGER NOT NULL DEFAULT 0,
    UNIQUE (site, key)
);

INSERT INTO threads_rebuilt (id, site, key, title, locked, created_at, hidden, changed_seq)
    SELECT id, 'default', key, title, locked, created_at, hidden, changed_seq FROM threads;

DROP TABLE threads;
ALTER TABLE threads_rebuilt RENAME TO threads;

CREATE INDEX threads_changed ON threads (changed_seq);

CREATE TRIGGER threads_inserted AFTER INSERT ON threads BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence) WHERE id = NEW.id;
END;

CREATE TRIGGER threads_changed AFTER UPDATE OF site, key, title, locked, hidden ON threads
WHEN OLD.site IS NOT NEW.site OR OLD.key IS NOT NEW.key OR OLD.title IS NOT NEW.title
    OR OLD.locked IS NOT NEW.locked OR OLD.hidden IS NOT NEW.hidden
BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence) WHERE id = NEW.id;
    INSERT INTO events (seq, thread_id, comment_id, kind, at)
        VALUES ((SELECT seq FROM change_sequence), NEW.id, NULL, 'thread',
                CAST(strftime('%s', 'now') AS INTEGER) * 1000);
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

COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;
