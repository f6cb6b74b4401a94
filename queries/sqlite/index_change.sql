-- name: IndexChangeLock :exec
-- SQLite has one writer: transactions are already serialised.
SELECT 1;

-- name: IndexChangeInsert :one
-- Gapless: callers hold IndexChangeLock, so max+1 cannot race and a
-- rolled-back insert leaves no hole.
INSERT INTO index_changes (seq, path, content, message, created_at)
SELECT coalesce(max(seq), 0) + 1, sqlc.arg(path), sqlc.arg(content), sqlc.arg(message), sqlc.arg(created_at)
FROM index_changes
RETURNING seq;

-- name: IndexChangeListAfter :many
SELECT seq, path, content, message, created_at FROM index_changes
WHERE seq > sqlc.arg(after) ORDER BY seq LIMIT sqlc.arg(lim);

-- name: IndexChangeMaxSeq :one
SELECT CAST(coalesce(max(seq), 0) AS INTEGER) FROM index_changes;

-- name: IndexChangeLastForPath :one
SELECT seq, path, content, message, created_at FROM index_changes
WHERE path = sqlc.arg(path) ORDER BY seq DESC LIMIT 1;
