package crate_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wharfhq/wharf/crate"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// requireInvalid asserts an ErrInvalid (and not ErrTooLarge) validation
// error whose message contains want.
func requireInvalid(t *testing.T, err error, want string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.ErrorIs(t, err, crate.ErrInvalid, msgAndArgs...)
	require.NotErrorIs(t, err, crate.ErrTooLarge, msgAndArgs...)
	require.ErrorContains(t, err, want, msgAndArgs...)
	var ve *crate.ValidationError
	require.True(t, errors.As(err, &ve), msgAndArgs...)
}

// requireTooLarge asserts an ErrTooLarge (and not ErrInvalid) error whose
// message contains want.
func requireTooLarge(t *testing.T, err error, want string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.ErrorIs(t, err, crate.ErrTooLarge, msgAndArgs...)
	require.NotErrorIs(t, err, crate.ErrInvalid, msgAndArgs...)
	require.ErrorContains(t, err, want, msgAndArgs...)
}

// requireValidationError checks that a rejection is a *ValidationError
// matching exactly one of the sentinels.
func requireValidationError(t *testing.T, err error) {
	t.Helper()
	var ve *crate.ValidationError
	require.ErrorAs(t, err, &ve)
	require.NotEqual(t, errors.Is(err, crate.ErrInvalid), errors.Is(err, crate.ErrTooLarge), "%v", err)
	require.NotEmpty(t, ve.Reason)
}

func ptr(s string) *string { return &s }
