package transient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/transient"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	pgErr := func(code string) error {
		return fmt.Errorf("get index file foo: IndexFileGet: %w", &pgconn.PgError{Severity: "FATAL", Code: code})
	}
	for _, tc := range []struct {
		name string
		err  error
		want transient.Cause
	}{
		{"nil", nil, transient.None},
		{"plain error", errors.New("boom"), transient.None},
		{"no rows", fmt.Errorf("get crate: %w", pgx.ErrNoRows), transient.None},
		{"unique violation", pgErr("23505"), transient.None},
		{"serialization failure", pgErr("40001"), transient.None},
		{"client went away", fmt.Errorf("look up token: %w", context.Canceled), transient.None},

		{"connection failure 08006", pgErr("08006"), transient.Database},
		{"cannot connect 08001", pgErr("08001"), transient.Database},
		{"terminated by administrator 57P01", pgErr("57P01"), transient.Database},
		{"crash shutdown 57P02", pgErr("57P02"), transient.Database},
		{"starting up 57P03", pgErr("57P03"), transient.Database},
		{"too many connections 53300", pgErr("53300"), transient.Database},
		{"connect error", fmt.Errorf("look up token: %w", &pgconn.ConnectError{Config: &pgconn.Config{}}), transient.Database},
		{"conn closed", fmt.Errorf("insert crate: %w", pgconn.ErrConnClosed), transient.Database},

		{"storage timeout", fmt.Errorf("store foo.crate: storage timeout after 30s: %w", context.DeadlineExceeded), transient.Timeout},
		{"net timeout", fmt.Errorf("s3 open: %w", timeoutErr{}), transient.Timeout},
		{"connection refused", fmt.Errorf("s3 put: giving up after 3 attempts: %w", refused), transient.Network},
		{"connection reset", fmt.Errorf("s3 open: read: %w", syscall.ECONNRESET), transient.Network},
		{"dropped mid-response", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), transient.Network},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, transient.Classify(tc.err), "%v", tc.err)
			require.Equal(t, tc.want != transient.None, transient.Is(tc.err))
		})
	}
}
