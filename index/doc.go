// Package index maintains Wharf's git index: a bare git repository that
// cargo can clone and fetch, derived from the database.
//
// The database is the source of truth: an append-only log of index changes,
// each with a sequence number, the index file path that changed, the file's
// full new content (empty = deleted), a message and a time. Every replica
// keeps its own local bare repository as a cache of that log (a Repo) and
// replays the changes it lacks with Apply.
//
// Commits are deterministic, so every replica builds byte-identical history
// with the same commit hashes: the root commit (change 0) holds only
// config.json (Config.ConfigJSON at Config.RootTime); commit N has commit
// N-1 as its only parent, the previous tree with the one file replaced,
// author and committer Config.Author at the change's time (UTC, whole
// seconds), and the message "<message>\n\nWharf-Change: <seq>\n". Head
// reads the sequence number back from that trailer. Changing ConfigJSON,
// RootTime or Author changes every hash: Open notices that the root commit
// differs, discards the repository and the caller replays the log.
//
// Open repairs what a crash or a full disk can leave behind (missing
// objects, a broken HEAD or branch, a directory that is not a repository)
// by discarding the repository and starting from the root commit. Reset
// does the same on request (`wharf index rebuild`).
//
// Push sends the branch to a remote (REGISTRY_GIT_REMOTE) over SSH, HTTP(S)
// or the local file system and never force-pushes. At start Wharf pushes its
// history to the remote; it never pulls from it.
//
// NewHTTPHandler serves the repository over git's smart HTTP protocol
// through `git http-backend` (go-git v5's server cannot serve incremental
// fetches), so git is a runtime dependency when the git index is enabled.
// The sparse index needs none of this; it is rendered from the database.
package index
