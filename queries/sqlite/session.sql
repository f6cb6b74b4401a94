-- SessionInsert stores a web session; only the hash of its cookie secret is kept.
-- name: SessionInsert :one
INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
VALUES (sqlc.arg(token_hash), sqlc.arg(user_id), sqlc.arg(csrf_token), sqlc.arg(created_at), sqlc.arg(expires_at))
RETURNING *;

-- name: SessionGetByHash :one
SELECT s.id, s.user_id, s.csrf_token, s.created_at, s.expires_at, s.revoked_at,
       u.login, u.is_admin, u.is_active, u.is_read_only
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = sqlc.arg(token_hash);

-- name: SessionListByUser :many
SELECT * FROM sessions
WHERE user_id = sqlc.arg(user_id) AND revoked_at IS NULL AND expires_at > sqlc.arg(now)
ORDER BY id DESC;

-- name: SessionRevoke :execrows
UPDATE sessions SET revoked_at = sqlc.arg(revoked_at)
WHERE id = sqlc.arg(id) AND revoked_at IS NULL;

-- name: SessionRevokeByUser :execrows
UPDATE sessions SET revoked_at = sqlc.arg(revoked_at)
WHERE user_id = sqlc.arg(user_id) AND revoked_at IS NULL;

-- SessionDeleteExpired forgets sessions that expired or were revoked a while ago.
-- name: SessionDeleteExpired :execrows
DELETE FROM sessions WHERE expires_at < sqlc.arg(expired_before) OR revoked_at < sqlc.arg(revoked_before);

-- name: LoginStateInsert :exec
INSERT INTO login_states (state_hash, nonce, verifier, next_path, browser_hash, created_at, expires_at)
VALUES (sqlc.arg(state_hash), sqlc.arg(nonce), sqlc.arg(verifier), sqlc.arg(next_path), sqlc.arg(browser_hash),
        sqlc.arg(created_at), sqlc.arg(expires_at));

-- name: LoginStateTake :one
DELETE FROM login_states WHERE state_hash = sqlc.arg(state_hash)
RETURNING *;

-- LoginStateDeleteExpired forgets abandoned logins (expired, or started before
-- created_before whatever their expiry).
-- name: LoginStateDeleteExpired :execrows
DELETE FROM login_states WHERE expires_at < sqlc.arg(now) OR created_at < sqlc.arg(created_before);
