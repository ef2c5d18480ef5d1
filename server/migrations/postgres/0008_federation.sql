-- A site account's followers on the fediverse.
CREATE TABLE fediverse_followers (
    site          TEXT    NOT NULL,
    actor         TEXT    NOT NULL,
    inbox         TEXT    NOT NULL,
    shared_inbox  TEXT,
    follow_id     TEXT    NOT NULL,
    since         BIGINT  NOT NULL,
    PRIMARY KEY (site, actor)
);

-- Remote actors as last fetched: the keys their signatures are checked with, their inboxes.
CREATE TABLE remote_actors (
    id              TEXT    PRIMARY KEY,
    inbox           TEXT    NOT NULL,
    shared_inbox    TEXT,
    key_id          TEXT    NOT NULL,
    public_key_pem  TEXT    NOT NULL,
    username        TEXT,
    name            TEXT,
    url             TEXT,
    fetched_at      BIGINT  NOT NULL
);
CREATE INDEX remote_actors_key ON remote_actors (key_id);

-- Ids of incoming activities already taken in: a redelivery changes nothing.
CREATE TABLE inbox_seen (
    activity     TEXT    PRIMARY KEY,
    received_at  BIGINT  NOT NULL
);

-- What must reach another server, until it is sent or given up (any replica sends it).
CREATE TABLE deliveries (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT    NOT NULL,
    site          TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    instance      TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    attempts      BIGINT  NOT NULL DEFAULT 0,
    due_at        BIGINT  NOT NULL,
    leased_until  BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (due_at);
CREATE INDEX deliveries_instance ON deliveries (instance, leased_until);

-- The circuit breaker: deliveries to an instance failing in a row wait until paused_until.
CREATE TABLE delivery_instances (
    instance      TEXT    PRIMARY KEY,
    failures      BIGINT  NOT NULL DEFAULT 0,
    paused_until  BIGINT  NOT NULL DEFAULT 0
);

-- Articles of a site's feed, announced once to its followers (the insert decides, so two
-- replicas reading the same feed announce nothing twice). The first reading of a feed is
-- recorded unannounced: followers get what is new, not the archive.
CREATE TABLE fediverse_articles (
    site          TEXT    NOT NULL,
    thread_key    TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    published_at  BIGINT NOT NULL,
    announced     BOOLEAN NOT NULL,
    PRIMARY KEY (site, thread_key)
);

-- What the last reading of each site's feed was told, for conditional requests.
CREATE TABLE fediverse_feeds (
    site           TEXT    PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    checked_at     BIGINT NOT NULL
);

-- Comments that came from the fediverse: the remote object they are, and its author.
CREATE TABLE fediverse_comments (
    comment_id   BIGINT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    object_id    TEXT    NOT NULL UNIQUE,
    actor        TEXT    NOT NULL,
    handle       TEXT    NOT NULL,
    profile_url  TEXT,
    updated_at   BIGINT NOT NULL
);

-- Comments from the fediverse have a role of their own.
ALTER TABLE comments DROP CONSTRAINT comments_role_check,
    ADD CONSTRAINT comments_role_check
    CHECK (role IN ('guest', 'verified', 'member', 'author', 'fediverse'));

-- Comments we sent to a fediverse writer (answers to their comments): where, and which
-- version, so that an edit sends an Update and a removal a Delete.
CREATE TABLE fediverse_sent (
    comment_id  BIGINT PRIMARY KEY,
    inbox       TEXT    NOT NULL,
    version     BIGINT NOT NULL
);
