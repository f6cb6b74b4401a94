-- Append-only log of index changes. Every replica derives its local git
-- index repository from it (deterministic commits, identical history).
CREATE TABLE index_changes (
    seq        INTEGER  PRIMARY KEY, -- gapless: max+1 (one writer)
    path       TEXT     NOT NULL,
    content    BLOB     NOT NULL,
    message    TEXT     NOT NULL,
    created_at DATETIME NOT NULL
);
