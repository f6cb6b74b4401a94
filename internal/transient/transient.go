// Package transient recognises errors that mean a dependency — the
// PostgreSQL server or the blob storage — is unreachable or timed out, as
// opposed to a bug or a bad request. api/errors.go turns them into 503
// Service Unavailable with Retry-After, which cargo retries.
//
// The package knows the driver error types (pgconn) so that the registry
// layer does not have to.
package transient

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Cause says which kind of dependency failed.
type Cause int

const (
	// None: not a transient dependency failure.
	None Cause = iota
	// Database: the database server is unreachable, refused the connection,
	// dropped it, or is shutting down.
	Database
	// Timeout: a dependency did not answer in time (the storage timeout,
	// a network timeout).
	Timeout
	// Network: a network peer (e.g. the S3 endpoint) refused or dropped
	// the connection.
	Network
)

// String is the user-facing phrase for the cause (no host names or other
// internals: the full error is only logged).
func (c Cause) String() string {
	switch c {
	case Database:
		return "the database is unreachable"
	case Timeout:
		return "a storage or database operation timed out"
	case Network:
		return "the storage backend is unreachable"
	}
	return "not transient"
}

// Classify returns the cause of err, or None. Checks go from the most
// specific (driver types) to the most generic (network errors), so a
// dropped database connection is reported as Database, not Network.
func Classify(err error) Cause {
	if err == nil {
		return None
	}
	// Cancelled by the client (it went away): nothing to retry for it.
	if errors.Is(err, context.Canceled) {
		return None
	}
	if database(err) {
		return Database
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) {
		return Timeout
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return Timeout
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return Network
	}
	for _, sentinel := range []error{
		io.ErrUnexpectedEOF, syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		net.ErrClosed,
	} {
		if errors.Is(err, sentinel) {
			return Network
		}
	}
	return None
}

// Is reports whether err is a transient dependency failure.
func Is(err error) bool { return Classify(err) != None }

// database recognises pgx's ways of saying the server is gone.
func database(err error) bool {
	// Every failed connection attempt: refused, reset, authentication
	// answered "database does not allow connections", too many clients…
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return unavailableSQLState(pgErr.Code)
	}
	// Operation on a connection the driver already closed ("conn closed").
	return errors.Is(err, pgconn.ErrConnClosed)
}

// unavailableSQLState: class 08 (connection exception), 57P01
// admin_shutdown (pg_terminate_backend, fast shutdown), 57P02
// crash_shutdown, 57P03 cannot_connect_now (starting up, recovery), 53300
// too_many_connections.
func unavailableSQLState(code string) bool {
	if strings.HasPrefix(code, "08") {
		return true
	}
	switch code {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return false
}
