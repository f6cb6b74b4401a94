-- UserGetByEmail matches e-mails case-insensitively; pass the e-mail lower-cased.
-- name: UserGetByEmail :one
SELECT * FROM users WHERE lower(email) = CAST(sqlc.arg(email) AS TEXT) ORDER BY id LIMIT 1;

-- name: UserCountWithEmail :one
SELECT count(*) FROM users WHERE email <> '';

-- name: UserSetRoles :exec
UPDATE users SET is_admin = sqlc.arg(is_admin), is_read_only = sqlc.arg(is_read_only) WHERE id = sqlc.arg(id);

-- name: UserSetProfile :exec
UPDATE users SET email = sqlc.arg(email), name = sqlc.arg(name) WHERE id = sqlc.arg(id);

-- name: UserSetPassword :exec
UPDATE users SET password_hash = sqlc.narg(password_hash) WHERE id = sqlc.arg(id);

-- UserCreationLock: SQLite write transactions are already exclusive
-- (_txlock=immediate), so this is a no-op kept for parity with PostgreSQL.
-- name: UserCreationLock :exec
SELECT 1;
