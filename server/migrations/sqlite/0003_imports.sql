-- Which comment each imported source item became: re-running an import adds nothing twice,
-- and replies find their parents once the whole source is in.
CREATE TABLE imports (
    source           TEXT    NOT NULL,
    external_id      TEXT    NOT NULL,
    comment_id       INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    external_parent  TEXT,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX imports_comment ON imports (comment_id);
