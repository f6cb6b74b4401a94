-- name: IndexFileUpsert :exec
INSERT INTO index_files (crate_id, path, content, etag, updated_at)
VALUES (sqlc.arg(crate_id), sqlc.arg(path), sqlc.arg(content), sqlc.arg(etag), sqlc.arg(updated_at))
ON CONFLICT (crate_id) DO UPDATE SET path = excluded.path, content = excluded.content, etag = excluded.etag,
                                     updated_at = excluded.updated_at;

-- name: IndexFileGet :one
SELECT content, etag, updated_at FROM index_files WHERE path = sqlc.arg(path);

-- name: IndexFileMeta :one
SELECT etag, updated_at FROM index_files WHERE path = sqlc.arg(path);
