// Package store is Wharf's engine-neutral data-access seam. Its row and
// parameter types are the sqlc-generated PostgreSQL types (aliased here); the
// SQLite adapter converts its identical generated structs to them, so the
// compiler catches any divergence between the two query sets.
//
// Implementations: store/pgstore (PostgreSQL + riverpgxv5) and
// store/litestore (SQLite + riversqlite). Both own their transactions and
// insert River jobs inside them (InsertTx).
package store

import (
	"context"
	"errors"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wharfhq/wharf/queries/pgdb"
)

// ErrNotFound is returned (wrapped) when a :one query finds no row.
var ErrNotFound = errors.New("not found")

// Row and parameter types shared by both engines.
type (
	User                      = pgdb.User
	APIToken                  = pgdb.ApiToken
	Crate                     = pgdb.Crate
	CrateSearchRow            = pgdb.CrateSearchRow
	TokenGetByHashRow         = pgdb.TokenGetByHashRow
	VersionForDownloadRow     = pgdb.VersionForDownloadRow
	VersionGetRow             = pgdb.VersionGetRow
	VersionListByCrateRow     = pgdb.VersionListByCrateRow
	IndexFileGetRow           = pgdb.IndexFileGetRow
	IndexFileMetaRow          = pgdb.IndexFileMetaRow
	UserInsertParams          = pgdb.UserInsertParams
	UserSetActiveParams       = pgdb.UserSetActiveParams
	TokenInsertParams         = pgdb.TokenInsertParams
	TokenRevokeParams         = pgdb.TokenRevokeParams
	TokenTouchParams          = pgdb.TokenTouchParams
	CrateInsertParams         = pgdb.CrateInsertParams
	CrateUpdateSummaryParams  = pgdb.CrateUpdateSummaryParams
	CrateSearchParams         = pgdb.CrateSearchParams
	CrateAddDownloadsParams   = pgdb.CrateAddDownloadsParams
	OwnerAddParams            = pgdb.OwnerAddParams
	OwnerIsParams             = pgdb.OwnerIsParams
	OwnerRemoveParams         = pgdb.OwnerRemoveParams
	VersionInsertParams       = pgdb.VersionInsertParams
	VersionGetParams          = pgdb.VersionGetParams
	VersionSetYankedParams    = pgdb.VersionSetYankedParams
	VersionForDownloadParams  = pgdb.VersionForDownloadParams
	VersionAddDownloadsParams = pgdb.VersionAddDownloadsParams
	VersionDownloadsAddParams = pgdb.VersionDownloadsAddParams
	IndexFileUpsertParams     = pgdb.IndexFileUpsertParams
)

// Queries is every query Wharf runs, on either engine. The method set is
// generated (store/gen) from queries/pgdb so it cannot drift.
type Queries = queriesGen

// Tx is a transaction: the queries plus transactional job insertion.
type Tx interface {
	Queries
	// Enqueue inserts a River job in this transaction (River InsertTx).
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// Jobs is the engine-independent part of a River client.
type Jobs interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Store is a database: pooled queries, transactions and the River client.
type Store interface {
	Queries
	// Tx runs fn in one transaction; it commits when fn returns nil and rolls
	// back otherwise. fn may run more than once (an engine retries a
	// transaction it aborted to break a deadlock), so it must act only
	// through tx, apart from logging.
	Tx(ctx context.Context, fn func(tx Tx) error) error
	// Migrate applies Wharf's and River's migrations.
	Migrate(ctx context.Context) error
	// InitJobs creates the River client with cfg (workers, queues, periodic
	// jobs). Call once, after Migrate, before Enqueue is used.
	InitJobs(cfg *river.Config) error
	// Jobs returns the River client created by InitJobs (nil before).
	Jobs() Jobs
	// Ping checks connectivity.
	Ping(ctx context.Context) error
	// Engine is "postgres" or "sqlite".
	Engine() string
	Close()
}

// Index change log types.
type (
	IndexChange                = pgdb.IndexChange
	IndexChangeInsertParams    = pgdb.IndexChangeInsertParams
	IndexChangeListAfterParams = pgdb.IndexChangeListAfterParams
)
