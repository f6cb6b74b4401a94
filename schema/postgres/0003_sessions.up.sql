-- Identity: server-side web sessions, pending OIDC logins and the read-only
-- role (PostgreSQL).
ALTER TABLE users ADD COLUMN is_read_only BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX users_email_lower_idx ON users (lower(email));

-- One row per browser login. Only the SHA-256 of the cookie secret is kept.
CREATE TABLE sessions (
    id         BIGSERIAL PRIMARY KEY,
    token_hash TEXT        NOT NULL UNIQUE,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Pending OIDC authorization requests: state (hashed), nonce and PKCE
-- verifier, bound to the browser that started the login. A row is deleted
-- when its callback arrives, so a state can be used once.
CREATE TABLE login_states (
    state_hash   TEXT        PRIMARY KEY,
    nonce        TEXT        NOT NULL,
    verifier     TEXT        NOT NULL,
    next_path    TEXT        NOT NULL,
    browser_hash TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_states_expires_at_idx ON login_states (expires_at);
