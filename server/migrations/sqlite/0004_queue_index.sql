-- 0002's (status, created_at) index misled SQLite's planner: with no statistics, it read a
-- thread's replies through it (every comment of that status, then sorted) instead of the
-- subtree index: 400 requests/s instead of thousands on a 2,000-comment database (bench/server).
-- A partial index serves the moderation queue and nothing else can pick it.
DROP INDEX comments_status_created;
CREATE INDEX comments_pending_created ON comments (created_at, id) WHERE status = 'pending';
