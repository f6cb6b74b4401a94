-- Web UI and administration.

-- Owners (and admins) may allow the complete removal of versions of a crate.
ALTER TABLE crates ADD COLUMN allow_version_removal BOOLEAN NOT NULL DEFAULT FALSE;

-- is_service marks the built-in user that owns registry-wide (CI) tokens: it
-- has no login rights and its tokens are read-only.
ALTER TABLE users ADD COLUMN is_service BOOLEAN NOT NULL DEFAULT FALSE;

-- A removed version leaves a tombstone so the same version can never be
-- published again with other content (clients cache checksums).
CREATE TABLE version_tombstones (
    crate_id    BIGINT      NOT NULL REFERENCES crates (id) ON DELETE CASCADE,
    version_key TEXT        NOT NULL,
    version     TEXT        NOT NULL,
    checksum    TEXT        NOT NULL,
    removed_by  BIGINT      REFERENCES users (id),
    removed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (crate_id, version_key)
);

-- Statistics: daily series by day (retention deletes by day), newest
-- versions, most downloaded crates.
CREATE INDEX version_downloads_day_idx ON version_downloads (day);
CREATE INDEX crate_versions_published_at_idx ON crate_versions (published_at);
CREATE INDEX crates_downloads_idx ON crates (downloads);
