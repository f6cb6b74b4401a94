-- name: VersionInsert :one
INSERT INTO crate_versions (crate_id, version, version_key, checksum, size, index_line, metadata, readme,
                            published_by, published_at)
VALUES (sqlc.arg(crate_id), sqlc.arg(version), sqlc.arg(version_key), sqlc.arg(checksum), sqlc.arg(size),
        sqlc.arg(index_line), sqlc.arg(metadata), sqlc.narg(readme), sqlc.narg(published_by), sqlc.arg(published_at))
ON CONFLICT (crate_id, version_key) DO NOTHING
RETURNING id;

-- name: VersionListByCrate :many
SELECT id, version, yanked, index_line, checksum, size, published_at, downloads FROM crate_versions
WHERE crate_id = sqlc.arg(crate_id) ORDER BY id;

-- name: VersionGet :one
SELECT id, crate_id, version, version_key, checksum, size, yanked, index_line, published_at, downloads
FROM crate_versions WHERE crate_id = sqlc.arg(crate_id) AND version_key = sqlc.arg(version_key);

-- name: VersionSetYanked :exec
UPDATE crate_versions SET yanked = sqlc.arg(yanked), index_line = sqlc.arg(index_line) WHERE id = sqlc.arg(id);

-- name: VersionForDownload :one
SELECT v.id, v.crate_id, v.checksum, v.size FROM crate_versions v JOIN crates c ON c.id = v.crate_id
WHERE c.name_key = sqlc.arg(name_key) AND v.version_key = sqlc.arg(version_key);

-- name: VersionChecksumInUse :one
SELECT count(*) FROM crate_versions WHERE checksum = sqlc.arg(checksum);

-- name: VersionAddDownloads :exec
UPDATE crate_versions SET downloads = downloads + sqlc.arg(n) WHERE id = sqlc.arg(id);

-- name: VersionDownloadsAdd :exec
INSERT INTO version_downloads (version_id, day, count) VALUES (sqlc.arg(version_id), sqlc.arg(day), sqlc.arg(n))
ON CONFLICT (version_id, day) DO UPDATE SET count = version_downloads.count + excluded.count;
