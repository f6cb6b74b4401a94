-- name: UserInsert :one
INSERT INTO users (login, email, name, is_admin)
VALUES (sqlc.arg(login), sqlc.arg(email), sqlc.arg(name), sqlc.arg(is_admin))
RETURNING *;

-- name: UserGetByLogin :one
SELECT * FROM users WHERE login = sqlc.arg(login);

-- name: UserGetByID :one
SELECT * FROM users WHERE id = sqlc.arg(id);

-- name: UserList :many
SELECT * FROM users ORDER BY login;

-- name: UserCount :one
SELECT count(*) FROM users;

-- name: UserSetActive :exec
UPDATE users SET is_active = sqlc.arg(is_active) WHERE id = sqlc.arg(id);
