-- Append-only log of index changes. Every replica derives its local git
-- index repository from it (deterministic commits, identical history).
CREATE TABLE index_changes (
    seq        BIGINT      PRIMARY KEY, -- gapless: max+1 under the index-change lock
    path       TEXT        NOT NULL,
    content    BYTEA       NOT NULL,
    message    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
