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
