-- Wharf registry core schema (PostgreSQL).
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    login         TEXT        NOT NULL UNIQUE,
    email         TEXT        NOT NULL DEFAULT '',
    name          TEXT        NOT NULL DEFAULT '',
    is_admin      BOOLEAN     NOT NULL DEFAULT FALSE,
    is_active     BOOLEAN     NOT NULL DEFAULT TRUE,
    password_hash TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT        NOT NULL,
    token_hash    TEXT        NOT NULL UNIQUE,
    token_prefix  TEXT        NOT NULL,
    scopes        TEXT        NOT NULL,
    crate_pattern TEXT,
    expires_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

CREATE TABLE crates (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT        NOT NULL,
    name_key    TEXT        NOT NULL UNIQUE,
    index_path  TEXT        NOT NULL UNIQUE,
    description TEXT,
    max_version TEXT,
    deprecated  BOOLEAN     NOT NULL DEFAULT FALSE,
    downloads   BIGINT      NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE crate_owners (
    crate_id   BIGINT      NOT NULL REFERENCES crates (id) ON DELETE CASCADE,
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (crate_id, user_id)
);

CREATE TABLE crate_versions (
    id           BIGSERIAL PRIMARY KEY,
    crate_id     BIGINT      NOT NULL REFERENCES crates (id) ON DELETE CASCADE,
    version      TEXT        NOT NULL,
    version_key  TEXT        NOT NULL,
    checksum     TEXT        NOT NULL,
    size         BIGINT      NOT NULL,
    yanked       BOOLEAN     NOT NULL DEFAULT FALSE,
    index_line   TEXT        NOT NULL,
    metadata     JSONB       NOT NULL,
    readme       TEXT,
    published_by BIGINT      REFERENCES users (id),
    published_at TIMESTAMPTZ NOT NULL,
    downloads    BIGINT      NOT NULL DEFAULT 0,
    UNIQUE (crate_id, version_key)
);
CREATE INDEX crate_versions_checksum_idx ON crate_versions (checksum);

-- Sparse index files, rendered in the transaction that changes them.
CREATE TABLE index_files (
    crate_id   BIGINT      PRIMARY KEY REFERENCES crates (id) ON DELETE CASCADE,
    path       TEXT        NOT NULL UNIQUE,
    content    BYTEA       NOT NULL,
    etag       TEXT        NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Downloads per version per UTC day ('YYYY-MM-DD').
CREATE TABLE version_downloads (
    version_id BIGINT NOT NULL REFERENCES crate_versions (id) ON DELETE CASCADE,
    day        TEXT   NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (version_id, day)
);
