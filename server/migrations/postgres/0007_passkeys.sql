-- Passkeys (WebAuthn credentials) of verified readers and admins, as the verifying crate
-- serialises them (public key, counter): nothing secret. One credential id belongs to one
-- identity.
CREATE TABLE passkeys (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    identity_id    BIGINT  NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    credential_id  BYTEA    NOT NULL UNIQUE,
    passkey        TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    last_used_at   BIGINT
);
CREATE INDEX passkeys_identity ON passkeys (identity_id);

-- A passkey ceremony between its two requests (challenge, then answer), so that any replica
-- finishes it: taken once, and only until it expires. Keyed by the hash of the id the browser
-- holds.
CREATE TABLE passkey_ceremonies (
    id_hash      BYTEA    PRIMARY KEY,
    site         TEXT    NOT NULL,
    identity_id  BIGINT  REFERENCES identities (id) ON DELETE CASCADE,
    state        TEXT    NOT NULL,
    expires_at   BIGINT  NOT NULL
);
