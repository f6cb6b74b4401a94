-- name: CrateSetDeprecated :exec
UPDATE crates SET deprecated = sqlc.arg(deprecated), updated_at = sqlc.arg(updated_at) WHERE id = sqlc.arg(id);

-- name: CrateSetAllowVersionRemoval :exec
UPDATE crates SET allow_version_removal = sqlc.arg(allow_version_removal), updated_at = sqlc.arg(updated_at)
WHERE id = sqlc.arg(id);

-- name: CrateListAll :many
SELECT c.id, c.name, c.description, c.max_version, c.deprecated, c.allow_version_removal, c.downloads,
       c.updated_at, (SELECT count(*) FROM crate_versions v WHERE v.crate_id = c.id)::bigint AS versions
FROM crates c
ORDER BY c.name_key
LIMIT sqlc.arg(lim)::bigint OFFSET sqlc.arg(off)::bigint;

-- name: CrateCountAll :one
SELECT count(*) FROM crates;

-- name: VersionListForPage :many
SELECT v.id, v.version, v.yanked, v.published_at, v.downloads, v.size, coalesce(u.login, '')::text AS publisher
FROM crate_versions v LEFT JOIN users u ON u.id = v.published_by
WHERE v.crate_id = sqlc.arg(crate_id)
ORDER BY v.id;

-- name: VersionPageGet :one
SELECT v.id, v.version, v.yanked, v.index_line, v.metadata, v.readme, v.published_at, v.downloads, v.size,
       v.checksum, coalesce(u.login, '')::text AS publisher
FROM crate_versions v LEFT JOIN users u ON u.id = v.published_by
WHERE v.crate_id = sqlc.arg(crate_id) AND v.version_key = sqlc.arg(version_key);

-- name: VersionDelete :execrows
DELETE FROM crate_versions WHERE id = sqlc.arg(id);

-- name: TombstoneInsert :exec
INSERT INTO version_tombstones (crate_id, version_key, version, checksum, removed_by, removed_at)
VALUES (sqlc.arg(crate_id), sqlc.arg(version_key), sqlc.arg(version), sqlc.arg(checksum), sqlc.narg(removed_by),
        sqlc.arg(removed_at))
ON CONFLICT (crate_id, version_key) DO NOTHING;

-- name: TombstoneIs :one
SELECT count(*) FROM version_tombstones WHERE crate_id = sqlc.arg(crate_id) AND version_key = sqlc.arg(version_key);

-- name: UserInsertService :one
-- The built-in user owning registry-wide tokens: no email, no password, never
-- an administrator, and read-only (any token it gets can only read).
INSERT INTO users (login, email, name, is_admin, is_service, is_read_only)
VALUES (sqlc.arg(login), '', sqlc.arg(name), FALSE, TRUE, TRUE)
ON CONFLICT (login) DO NOTHING
RETURNING *;
