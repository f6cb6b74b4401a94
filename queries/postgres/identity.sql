-- UserGetByEmail matches e-mails case-insensitively; pass the e-mail lower-cased.
-- name: UserGetByEmail :one
SELECT * FROM users WHERE lower(email) = sqlc.arg(email)::text ORDER BY id LIMIT 1;

-- name: UserCountWithEmail :one
SELECT count(*) FROM users WHERE email <> '';

-- name: UserSetRoles :exec
UPDATE users SET is_admin = sqlc.arg(is_admin), is_read_only = sqlc.arg(is_read_only) WHERE id = sqlc.arg(id);

-- name: UserSetProfile :exec
UPDATE users SET email = sqlc.arg(email), name = sqlc.arg(name) WHERE id = sqlc.arg(id);

-- name: UserSetPassword :exec
UPDATE users SET password_hash = sqlc.narg(password_hash) WHERE id = sqlc.arg(id);

-- UserCreationLock serialises user creation from logins (first-user-admin,
-- unique logins) until the end of the transaction.
-- name: UserCreationLock :exec
SELECT pg_advisory_xact_lock(7301001);
