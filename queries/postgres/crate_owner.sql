-- name: OwnerAdd :exec
INSERT INTO crate_owners (crate_id, user_id) VALUES (sqlc.arg(crate_id), sqlc.arg(user_id))
ON CONFLICT DO NOTHING;

-- name: OwnerRemove :execrows
DELETE FROM crate_owners WHERE crate_id = sqlc.arg(crate_id) AND user_id = sqlc.arg(user_id);

-- name: OwnerList :many
SELECT u.* FROM crate_owners o JOIN users u ON u.id = o.user_id
WHERE o.crate_id = sqlc.arg(crate_id) ORDER BY u.login;

-- name: OwnerIs :one
SELECT count(*) FROM crate_owners WHERE crate_id = sqlc.arg(crate_id) AND user_id = sqlc.arg(user_id);
