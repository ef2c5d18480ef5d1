-- Each server process caches the responses readers fetch most (thread pages, counts). It must
-- learn of every change a reader could see, whoever made it: this process, another one, or
-- `palabre import` running beside the server. So every such change bumps one sequence and
-- stamps its thread with it; a cache asks for the threads stamped after what it has seen.
CREATE TABLE change_sequence (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL
);
INSERT INTO change_sequence (id, seq) VALUES (1, 0);

ALTER TABLE threads ADD COLUMN changed_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX threads_changed ON threads (changed_seq);

CREATE TRIGGER threads_inserted AFTER INSERT ON threads BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence) WHERE id = NEW.id;
END;

-- Not `changed_seq` itself, or the stamp would trigger itself.
CREATE TRIGGER threads_changed AFTER UPDATE OF key, title, locked, hidden ON threads BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence) WHERE id = NEW.id;
END;

CREATE TRIGGER comments_inserted AFTER INSERT ON comments BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence) WHERE id = NEW.thread_id;
END;

-- Only columns readers see: an unsubscribe (notify) or a spam flag changes no public page.
CREATE TRIGGER comments_changed AFTER UPDATE OF
    thread_id, parent_id, root_id, depth, status, author, website, avatar, html, created_at,
    edited_at, likes, dislikes
ON comments BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence)
        WHERE id IN (OLD.thread_id, NEW.thread_id);
END;

CREATE TRIGGER comments_deleted AFTER DELETE ON comments BEGIN
    UPDATE change_sequence SET seq = seq + 1;
    UPDATE threads SET changed_seq = (SELECT seq FROM change_sequence) WHERE id = OLD.thread_id;
END;
