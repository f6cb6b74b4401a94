-- name: IndexChangeLock :exec
-- Serialises index-change inserts until commit so sequence numbers become
-- visible in order (a replica never skips a change).
SELECT pg_advisory_xact_lock(7765432101);

-- name: IndexChangeInsert :one
-- Gapless: callers hold IndexChangeLock, so max+1 cannot race and a
-- rolled-back insert leaves no hole.
INSERT INTO index_changes (seq, path, content, message, created_at)
SELECT coalesce(max(seq), 0) + 1, sqlc.arg(path), sqlc.arg(content), sqlc.arg(message), sqlc.arg(created_at)
FROM index_changes
RETURNING seq;

-- name: IndexChangeListAfter :many
SELECT seq, path, content, message, created_at FROM index_changes
WHERE seq > sqlc.arg(after) ORDER BY seq LIMIT sqlc.arg(lim)::bigint;

-- name: IndexChangeMaxSeq :one
SELECT coalesce(max(seq), 0)::bigint FROM index_changes;

-- name: IndexChangeLastForPath :one
SELECT seq, path, content, message, created_at FROM index_changes
WHERE path = sqlc.arg(path) ORDER BY seq DESC LIMIT 1;
