-- name: IndexChangeLock :exec
-- SQLite has one writer: transactions are already serialised.
SELECT 1;

-- name: IndexChangeInsert :one
INSERT INTO index_changes (path, content, message, created_at)
VALUES (sqlc.arg(path), sqlc.arg(content), sqlc.arg(message), sqlc.arg(created_at))
RETURNING seq;

-- name: IndexChangeListAfter :many
SELECT seq, path, content, message, created_at FROM index_changes
WHERE seq > sqlc.arg(after) ORDER BY seq LIMIT sqlc.arg(lim);

-- name: IndexChangeMaxSeq :one
SELECT CAST(coalesce(max(seq), 0) AS INTEGER) FROM index_changes;

-- name: IndexChangeLastForPath :one
SELECT seq, path, content, message, created_at FROM index_changes
WHERE path = sqlc.arg(path) ORDER BY seq DESC LIMIT 1;
