-- name: CrateGetByKey :one
SELECT * FROM crates WHERE name_key = sqlc.arg(name_key);

-- name: CrateLockByKey :one
SELECT * FROM crates WHERE name_key = sqlc.arg(name_key) FOR UPDATE;

-- name: CrateInsert :one
INSERT INTO crates (name, name_key, index_path, description, created_at, updated_at)
VALUES (sqlc.arg(name), sqlc.arg(name_key), sqlc.arg(index_path), sqlc.narg(description),
        sqlc.arg(created_at), sqlc.arg(created_at))
-- No conflict target: a concurrent insert of the same crate can collide on
-- index_path (also unique, derived from the name) before name_key.
ON CONFLICT DO NOTHING
RETURNING *;

-- name: CrateUpdateSummary :exec
UPDATE crates SET description = sqlc.narg(description), max_version = sqlc.narg(max_version),
                  updated_at = sqlc.arg(updated_at)
WHERE id = sqlc.arg(id);

-- name: CrateSearch :many
SELECT id, name, description, max_version, downloads FROM crates
WHERE max_version IS NOT NULL AND (strpos(name_key, sqlc.arg(term)) > 0 OR strpos(lower(coalesce(description, '')), sqlc.arg(term)) > 0)
ORDER BY name_key
LIMIT sqlc.arg(lim)::bigint OFFSET sqlc.arg(off)::bigint;

-- name: CrateSearchCount :one
SELECT count(*) FROM crates
WHERE max_version IS NOT NULL AND (strpos(name_key, sqlc.arg(term)) > 0 OR strpos(lower(coalesce(description, '')), sqlc.arg(term)) > 0);

-- name: CrateAddDownloads :exec
UPDATE crates SET downloads = downloads + sqlc.arg(n) WHERE id = sqlc.arg(id);
