package index

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ConfigPath is the index path of the registry's config.json.
const ConfigPath = "config.json"

// trailerKey is the commit-message trailer that carries a change's sequence
// number. The root commit carries 0.
const trailerKey = "Wharf-Change: "

var (
	// ErrGap is returned by Apply when the changes do not continue exactly
	// from Head()+1, one sequence number after the other. Nothing is written.
	ErrGap = errors.New("index changes do not continue from the repository head")

	// ErrInvalidChange is returned by Apply for a change that can never be
	// applied: a malformed path, a path that collides with a directory or a
	// file of the tree, a message containing NUL, or the deletion of
	// config.json.
	ErrInvalidChange = errors.New("invalid index change")
)

// Change is one entry of the database's append-only log of index changes.
type Change struct {
	// Seq is the change's sequence number: strictly increasing, starting at 1.
	Seq int64
	// Path is the index file below the repository root, e.g. "3/f/foo" or
	// "my/cr/mycrate": segments of [a-z0-9_-], no empty segment, no leading
	// slash; "config.json" is also allowed.
	Path string
	// Content is the file's full new content; empty means the file is deleted.
	Content []byte
	// Message is the commit message's subject, e.g. "Publish foo 1.0.0".
	// Trailing whitespace is dropped; empty becomes "Update <path>".
	Message string
	// Time is the author and committer time (UTC, whole seconds).
	Time time.Time
}

// validate checks c on its own (not against the tree).
func (c *Change) validate() error {
	if err := validatePath(c.Path); err != nil {
		return fmt.Errorf("change %d: %w", c.Seq, err)
	}
	if c.Path == ConfigPath && len(c.Content) == 0 {
		return fmt.Errorf("change %d: %s cannot be deleted: %w", c.Seq, ConfigPath, ErrInvalidChange)
	}
	if strings.IndexByte(c.Message, 0) >= 0 {
		return fmt.Errorf("change %d: message contains NUL: %w", c.Seq, ErrInvalidChange)
	}
	return nil
}

// commitMessage is the full, deterministic commit message of c.
func (c *Change) commitMessage() string {
	msg := strings.TrimRight(c.Message, " \t\r\n")
	if msg == "" {
		msg = "Update " + c.Path
	}
	return formatMessage(msg, c.Seq)
}

func formatMessage(subject string, seq int64) string {
	return subject + "\n\n" + trailerKey + strconv.FormatInt(seq, 10) + "\n"
}

// parseSeq returns the sequence number in the last "Wharf-Change:" trailer
// of a commit message.
func parseSeq(msg string) (int64, error) {
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		v, ok := strings.CutPrefix(lines[i], trailerKey)
		if !ok {
			continue
		}
		seq, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || seq < 0 {
			return 0, fmt.Errorf("parse trailer %q: not a sequence number", lines[i])
		}
		return seq, nil
	}
	return 0, errors.New("commit message has no Wharf-Change trailer")
}

// validatePath checks an index path: "config.json", or segments of
// [a-z0-9_-] separated by single slashes.
func validatePath(p string) error {
	if p == ConfigPath {
		return nil
	}
	if p == "" {
		return fmt.Errorf("empty path: %w", ErrInvalidChange)
	}
	if len(p) > 255 {
		return fmt.Errorf("path %.40q…: too long: %w", p, ErrInvalidChange)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" {
			return fmt.Errorf("path %q: empty segment: %w", p, ErrInvalidChange)
		}
		for i := 0; i < len(seg); i++ {
			b := seg[i]
			if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
				return fmt.Errorf("path %q: segment %q: only [a-z0-9_-] allowed: %w", p, seg, ErrInvalidChange)
			}
		}
	}
	return nil
}
