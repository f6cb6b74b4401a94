-- Wharf registry core schema (SQLite).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT     NOT NULL UNIQUE,
    email         TEXT     NOT NULL DEFAULT '',
    name          TEXT     NOT NULL DEFAULT '',
    is_admin      BOOLEAN  NOT NULL DEFAULT FALSE,
    is_active     BOOLEAN  NOT NULL DEFAULT TRUE,
    password_hash TEXT,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT     NOT NULL,
    token_hash    TEXT     NOT NULL UNIQUE,
    token_prefix  TEXT     NOT NULL,
    scopes        TEXT     NOT NULL,
    crate_pattern TEXT,
    expires_at    DATETIME,
    last_used_at  DATETIME,
    revoked_at    DATETIME,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

CREATE TABLE crates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT     NOT NULL,
    name_key    TEXT     NOT NULL UNIQUE,
    index_path  TEXT     NOT NULL UNIQUE,
    description TEXT,
    max_version TEXT,
    deprecated  BOOLEAN  NOT NULL DEFAULT FALSE,
    downloads   INTEGER  NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

CREATE TABLE crate_owners (
    crate_id   INTEGER  NOT NULL REFERENCES crates (id) ON DELETE CASCADE,
    user_id    INTEGER  NOT NULL REFERENCES users (id),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (crate_id, user_id)
);

CREATE TABLE crate_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    crate_id     INTEGER  NOT NULL REFERENCES crates (id) ON DELETE CASCADE,
    version      TEXT     NOT NULL,
    version_key  TEXT     NOT NULL,
    checksum     TEXT     NOT NULL,
    size         INTEGER  NOT NULL,
    yanked       BOOLEAN  NOT NULL DEFAULT FALSE,
    index_line   TEXT     NOT NULL,
    metadata     BLOB     NOT NULL,
    readme       TEXT,
    published_by INTEGER  REFERENCES users (id),
    published_at DATETIME NOT NULL,
    downloads    INTEGER  NOT NULL DEFAULT 0,
    UNIQUE (crate_id, version_key)
);
CREATE INDEX crate_versions_checksum_idx ON crate_versions (checksum);

CREATE TABLE index_files (
    crate_id   INTEGER  PRIMARY KEY REFERENCES crates (id) ON DELETE CASCADE,
    path       TEXT     NOT NULL UNIQUE,
    content    BLOB     NOT NULL,
    etag       TEXT     NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE version_downloads (
    version_id INTEGER NOT NULL REFERENCES crate_versions (id) ON DELETE CASCADE,
    day        TEXT    NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (version_id, day)
);
