-- Posting a comment is one transaction of few statements.

-- Expired challenges are purged as posts come in; without this index a purge reads the table.
CREATE INDEX spent_challenges_expiry ON spent_challenges (expires_at);

-- A top-level comment is its own root: set here, so that inserting one is a single statement.
CREATE TRIGGER comments_own_root AFTER INSERT ON comments WHEN NEW.root_id = 0 BEGIN
    UPDATE comments SET root_id = NEW.id WHERE id = NEW.id;
END;
