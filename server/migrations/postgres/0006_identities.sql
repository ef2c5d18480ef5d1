-- Proven identities, per site: a reader who proved an email ('verified'), a member vouched for
-- by the site's single sign-on ('member'), one of the blog's admins in the widget ('author').
CREATE TABLE identities (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('verified', 'member', 'author')),
    -- What proves it: the lower-cased email; the site's `sub`; the admin's name.
    subject     TEXT    NOT NULL,
    -- The name their comments carry, reserved on the site, and its lookalike key.
    name        TEXT,
    name_key    TEXT,
    -- A proven address (verified readers; members whose site gave one).
    email       TEXT,
    created_at  BIGINT  NOT NULL,
    UNIQUE (site, kind, subject)
);
CREATE INDEX identities_name_key ON identities (site, name_key) WHERE name_key IS NOT NULL;
CREATE INDEX identities_email ON identities (site, email) WHERE email IS NOT NULL;

-- Sessions held by the widget as bearer tokens (never cookies): SHA-256 of the token only.
CREATE TABLE identity_sessions (
    token_hash   BYTEA   PRIMARY KEY,
    identity_id  BIGINT  NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX identity_sessions_identity ON identity_sessions (identity_id);

-- The one live sign-in code of an address, and how many were sent in the current hour.
CREATE TABLE email_codes (
    site          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    -- A keyed hash of the code; empty once used or tried too often.
    code_hash     BYTEA   NOT NULL,
    expires_at    BIGINT  NOT NULL,
    tries_left    BIGINT  NOT NULL,
    window_start  BIGINT  NOT NULL,
    sends         BIGINT  NOT NULL,
    PRIMARY KEY (site, email)
);

ALTER TABLE comments ADD COLUMN identity_id BIGINT  REFERENCES identities (id) ON DELETE SET NULL;
ALTER TABLE comments ADD COLUMN role TEXT NOT NULL DEFAULT 'guest'
    CHECK (role IN ('guest', 'verified', 'member', 'author'));
CREATE INDEX comments_identity ON comments (identity_id) WHERE identity_id IS NOT NULL;

ALTER TABLE admins ADD COLUMN display_name TEXT;
