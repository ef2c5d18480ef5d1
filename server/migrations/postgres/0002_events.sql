-- Live updates (GET /api/v1/events): every change a reader could see is also an event row,
-- numbered by the change sequence, so that a reader reconnecting with the last id it saw is
-- replayed exactly what it missed, from the database, whichever replica made the change.
-- Events name what changed; what is sent is read when it is sent (a held comment never is).
-- Rows older than the replay window are pruned by the server. Same table as SQLite's 0007.
CREATE TABLE events (
    seq         BIGINT PRIMARY KEY,
    thread_id   BIGINT NOT NULL,
    -- The comment added, changed or removed; NULL for a change of the thread itself.
    comment_id  BIGINT,
    kind        TEXT   NOT NULL CHECK (kind IN ('comment', 'removed', 'thread')),
    -- Unix ms, for pruning.
    at          BIGINT NOT NULL
);
CREATE INDEX events_thread ON events (thread_id, seq);

-- Bumps the sequence, stamps the threads and, for a thread or comment event, writes it.
CREATE FUNCTION palabre_record_change(event_kind TEXT, event_comment BIGINT,
                                      VARIADIC thread_ids BIGINT[]) RETURNS VOID AS $$
DECLARE
    next BIGINT;
BEGIN
    UPDATE change_sequence SET seq = seq + 1 WHERE id = 1 RETURNING seq INTO next;
    UPDATE threads SET changed_seq = next WHERE id = ANY (thread_ids);
    IF event_kind IS NOT NULL THEN
        INSERT INTO events (seq, thread_id, comment_id, kind, at)
            VALUES (next, thread_ids[array_upper(thread_ids, 1)], event_comment, event_kind,
                    (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
    END IF;
    PERFORM pg_notify('palabre_changes', '');
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION palabre_thread_changed() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM palabre_record_change(NULL, NULL, NEW.id);
    ELSE
        PERFORM palabre_record_change('thread', NULL, NEW.id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION palabre_comment_changed() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM palabre_record_change('comment', NEW.id, NEW.thread_id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM palabre_record_change('removed', OLD.id, OLD.thread_id);
    ELSE
        PERFORM palabre_record_change('comment', NEW.id, OLD.thread_id, NEW.thread_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
