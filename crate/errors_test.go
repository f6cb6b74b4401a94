package crate_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/semver"
)

func TestValidationError(t *testing.T) {
	t.Parallel()

	_, semverErr := semver.ParseVersion("1.0")
	tests := []struct {
		name     string
		err      *crate.ValidationError
		msg      string
		invalid  bool
		tooLarge bool
	}{
		// value quoted
		{"Value", &crate.ValidationError{Field: "crate name", Value: "1x", Reason: "must not start with a digit"},
			`invalid crate name "1x": must not start with a digit`, true, false},
		// no value
		{"NoValue", &crate.ValidationError{Field: "crate name", Reason: "must not be empty"},
			"invalid crate name: must not be empty", true, false},
		// size limit
		{"TooLarge", &crate.ValidationError{Field: ".crate file", Reason: "it is 11 MiB, more than the limit of 10 MiB", Err: crate.ErrTooLarge},
			".crate file too large: it is 11 MiB, more than the limit of 10 MiB", false, true},
		// wrapped size limit
		{"TooLargeWrapped", &crate.ValidationError{Field: "x", Reason: "r", Err: fmt.Errorf("read: %w", crate.ErrTooLarge)},
			"x too large: r", false, true},
		// cause kept for errors.As / errors.Is
		{"Cause", &crate.ValidationError{Field: "version", Value: "1.0", Reason: "r", Err: semverErr},
			`invalid version "1.0": r`, true, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.msg, tt.err.Error(), tt.name)
		var err error = fmt.Errorf("publish foo: %w", tt.err)
		require.Equal(t, tt.invalid, errors.Is(err, crate.ErrInvalid), tt.name)
		require.Equal(t, tt.tooLarge, errors.Is(err, crate.ErrTooLarge), tt.name)
		var ve *crate.ValidationError
		require.True(t, errors.As(err, &ve), tt.name)
	}
	require.ErrorIs(t, tests[4].err, semver.ErrInvalid)
}
