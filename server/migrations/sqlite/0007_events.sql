-- Live updates (GET /api/v1/events): every change a reader could see is also an event row,
-- numbered by the change sequence, so that a reader reconnecting with the last id it saw is
-- replayed exactly what it missed, from the database, whichever process made the change.
-- Events name what changed; what is sent is read when it is sent (a held comment never is).
-- Rows older than the replay window are pruned by the server.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    thread_id   INTEGER NOT NULL,
    -- The comment added, changed or removed; NULL for a change of the thread itself.
    comment_id  INTEGER,
    kind        TEXT    NOT NULL CHECK (kind IN ('comment', 'removed', 'thread')),
    -- Unix ms, for pruning.
    at          INTEGER NOT NULL
);
CREATE INDEX events_thread ON events (thread_id, seq);

-- 0005's triggers, now also writing the event; and threads_changed only on a real change
-- (SQLite runs an UPDATE OF trigger for every listed column in SET, changed or not, so the
-- posts' title upsert stamped the thread each time).
DROP TRIGGER threads_changed;
DROP TRIGGER comments_inserted;
DROP TRIGGER comments_changed;
DROP TRIGGER comments_deleted;

CREATE TRIGGER threads_changed AFTER UPDATE OF key, title, locked, hidden ON threads
WHEN OLD.key IS NOT NEW.key OR OLD.title IS NOT NEW.title OR OLD.locked IS NOT NEW.locked
    OR OLD.hidden IS NOT NEW.hidden
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
