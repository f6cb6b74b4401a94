// Package crate implements publish validation and the Cargo wire format:
// crate-name rules and index paths, the publish body framing, the publish
// metadata JSON, checks of the uploaded .crate tarball, index entries and
// the registry's config.json.
//
// The package does no I/O besides reading from the io.Reader or byte slices
// it is given, and imports no Wharf package except semver.
package crate

import (
	"errors"
	"strconv"
)

// Sentinels matched with errors.Is by every error of this package that
// rejects input.
var (
	// ErrInvalid marks input that breaks a rule (HTTP 400).
	ErrInvalid = errors.New("invalid")
	// ErrTooLarge marks input over a size limit (HTTP 413).
	ErrTooLarge = errors.New("too large")
)

// ValidationError explains why some input was rejected. Its message is meant
// to be shown to cargo users verbatim, e.g.
//
//	invalid crate name "1x": must not start with a digit
//	.crate file too large: it unpacks to more than 512 MiB
//
// errors.Is(err, ErrTooLarge) holds when Err is ErrTooLarge; otherwise
// errors.Is(err, ErrInvalid) holds. The two are exclusive so that callers can
// map them to different statuses in any order.
type ValidationError struct {
	// Field names what was checked, e.g. "crate name", "dependency
	// version_req", ".crate file".
	Field string
	// Value is the offending value; it is quoted in the message when not
	// empty.
	Value string
	// Reason says what is wrong and, where possible, what to do.
	Reason string
	// Err is ErrTooLarge for size limits, or an underlying cause (such as a
	// *semver.Error) for errors.As; it may be nil.
	Err error
}

// Error implements error: `invalid <field> "<value>": <reason>`, or
// `<field> too large: <reason>` for size limits.
func (e *ValidationError) Error() string {
	subject := e.Field
	if e.Value != "" {
		subject += " " + strconv.Quote(e.Value)
	}
	if errors.Is(e.Err, ErrTooLarge) {
		return subject + " too large: " + e.Reason
	}
	return "invalid " + subject + ": " + e.Reason
}

// Is reports whether target is ErrInvalid (for every validation error that
// is not a size limit) or ErrTooLarge (for size limits).
func (e *ValidationError) Is(target error) bool {
	tooLarge := errors.Is(e.Err, ErrTooLarge)
	switch target {
	case ErrTooLarge:
		return tooLarge
	case ErrInvalid:
		return !tooLarge
	}
	return false
}

// Unwrap returns the underlying cause.
func (e *ValidationError) Unwrap() error { return e.Err }

func invalid(field, value, reason string) *ValidationError {
	return &ValidationError{Field: field, Value: value, Reason: reason}
}

func invalidCause(field, value, reason string, cause error) *ValidationError {
	return &ValidationError{Field: field, Value: value, Reason: reason, Err: cause}
}

func tooLarge(field, reason string) *ValidationError {
	return &ValidationError{Field: field, Reason: reason, Err: ErrTooLarge}
}

// formatSize formats a byte count for messages ("10 MiB", "1536 bytes").
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
