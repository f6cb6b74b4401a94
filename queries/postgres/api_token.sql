-- name: TokenInsert :one
INSERT INTO api_tokens (user_id, name, token_hash, token_prefix, scopes, crate_pattern, expires_at, created_at)
VALUES (sqlc.arg(user_id), sqlc.arg(name), sqlc.arg(token_hash), sqlc.arg(token_prefix), sqlc.arg(scopes),
        sqlc.narg(crate_pattern), sqlc.narg(expires_at), sqlc.arg(created_at))
RETURNING *;

-- name: TokenGetByHash :one
SELECT t.id, t.user_id, t.name, t.token_prefix, t.scopes, t.crate_pattern, t.expires_at, t.last_used_at,
       t.revoked_at, t.created_at, u.login, u.is_admin, u.is_active, u.is_read_only
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = sqlc.arg(token_hash);

-- name: TokenListByUser :many
SELECT * FROM api_tokens WHERE user_id = sqlc.arg(user_id) ORDER BY id;

-- name: TokenRevoke :execrows
UPDATE api_tokens SET revoked_at = sqlc.arg(revoked_at)
WHERE id = sqlc.arg(id) AND revoked_at IS NULL;

-- name: TokenTouch :exec
UPDATE api_tokens SET last_used_at = sqlc.arg(last_used_at)
WHERE id = sqlc.arg(id) AND (last_used_at IS NULL OR last_used_at < sqlc.arg(stale_before));
