-- Several blogs on one server: a thread belongs to a site (`[[site]]` in the configuration),
-- and its key is unique within that site only, so `/about` on two blogs is two threads. Every
-- thread stored before is the site named `default`, which a server without `[[site]]` tables
-- serves, so a single-blog database keeps working unchanged.
ALTER TABLE threads ADD COLUMN site TEXT NOT NULL DEFAULT 'default';
ALTER TABLE threads DROP CONSTRAINT threads_key_key;
ALTER TABLE threads ADD CONSTRAINT threads_site_key UNIQUE (site, key);

-- Moving a thread to another site changes what readers see of it.
DROP TRIGGER threads_changed ON threads;
CREATE TRIGGER threads_changed AFTER UPDATE OF site, key, title, locked, hidden ON threads
    FOR EACH ROW WHEN (OLD.site IS DISTINCT FROM NEW.site OR OLD.key IS DISTINCT FROM NEW.key
        OR OLD.title IS DISTINCT FROM NEW.title OR OLD.locked IS DISTINCT FROM NEW.locked
        OR OLD.hidden IS DISTINCT FROM NEW.hidden)
    EXECUTE FUNCTION palabre_thread_changed();
