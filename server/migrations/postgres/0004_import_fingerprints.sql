-- What the source said of each imported comment (its date and raw text), hashed. Ledger ids
-- now name where a comment came from (a WordPress blog's URL, a Disqus forum, an Isso
-- instance); the fingerprint lets a later run check that the comment an entry names is really
-- the one it meets before skipping it. NULL: an entry written before, checked against the
-- comment's thread, date and text instead.
ALTER TABLE imports ADD COLUMN fingerprint BYTEA;
