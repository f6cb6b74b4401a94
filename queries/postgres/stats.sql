-- name: StatsCrateDaily :many
-- Downloads per version per day of one crate since a day (inclusive).
SELECT v.version, d.day, d.count FROM version_downloads d JOIN crate_versions v ON v.id = d.version_id
WHERE v.crate_id = sqlc.arg(crate_id) AND d.day >= sqlc.arg(since)
ORDER BY d.day, v.id;

-- name: StatsTotals :one
SELECT (SELECT count(*) FROM crates WHERE max_version IS NOT NULL)::bigint AS crates,
       (SELECT count(*) FROM crate_versions)::bigint                       AS versions,
       (SELECT coalesce(sum(downloads), 0) FROM crates)::bigint            AS downloads;

-- name: StatsTopDownloaded :many
SELECT name, max_version, description, downloads FROM crates
WHERE max_version IS NOT NULL
ORDER BY downloads DESC, name_key
LIMIT sqlc.arg(lim)::bigint;

-- name: StatsRecentVersions :many
SELECT c.name, v.version, v.yanked, v.published_at, c.description
FROM crate_versions v JOIN crates c ON c.id = v.crate_id
ORDER BY v.published_at DESC, v.id DESC
LIMIT sqlc.arg(lim)::bigint;

-- name: StatsDownloadsPrune :execrows
-- Retention: deletes daily rows older than a day ('YYYY-MM-DD'). Version and
-- crate totals are kept.
DELETE FROM version_downloads WHERE day < sqlc.arg(before);
