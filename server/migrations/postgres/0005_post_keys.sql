-- The challenge a comment was posted with, kept with it: a post whose answer was lost (a
-- dropped connection, a proxy's timeout) and is sent again with the same challenge gets the
-- first answer back instead of a second comment, on every replica and however late.
ALTER TABLE comments ADD COLUMN post_key TEXT;
CREATE UNIQUE INDEX comments_post_key ON comments (post_key) WHERE post_key IS NOT NULL;
