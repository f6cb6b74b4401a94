package s3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/smithy-go/logging"

	"github.com/wharfhq/wharf/storage"
)

// defaultRegion is used with a custom Endpoint when Region is empty; most
// S3-compatible servers (versitygw, MinIO, Ceph) accept it.
const defaultRegion = "us-east-1"

// Config configures an S3 Store. Only Bucket is required.
type Config struct {
	// AccessKey and SecretKey are static credentials. Leave both empty to
	// use the ambient AWS credential chain (environment, shared config
	// files, instance or task role) via config.LoadDefaultConfig.
	AccessKey string
	// Bucket holds the objects.
	Bucket string
	// CreateBucket makes New create Bucket when it does not exist yet.
	CreateBucket bool
	// Endpoint is the base URL of an S3-compatible server
	// (REGISTRY_S3_URI), e.g. "http://127.0.0.1:7070". Empty means AWS.
	Endpoint string
	// HTTPClient, if set, sends the SDK's requests.
	HTTPClient *http.Client
	// Logger receives the SDK's own log messages (rare warnings, such as a
	// response body it could not drain). nil discards them.
	Logger *slog.Logger
	// MaxAttempts caps the SDK's own attempts per request (its default
	// retryer). 0 keeps the SDK default (3); 1 disables SDK retries, which
	// suits a Store wrapped in storage.WithRetry.
	MaxAttempts int
	// Region is the signing region. Empty means the ambient AWS region,
	// or "us-east-1" when Endpoint is set.
	Region string
	// Root is a key prefix for every object, such as "" or "wharf/prod".
	// Leading and trailing '/' are ignored; the rest must be a valid key.
	Root string
	// SecretKey goes with AccessKey.
	SecretKey string
	// UsePathStyle selects path-style URLs (http://host/bucket/key) over
	// virtual-hosted ones (http://bucket.host/key). nil means path style
	// when Endpoint is set and virtual-hosted for AWS.
	UsePathStyle *bool
}

// validate checks c and returns the normalised Root.
func (c Config) validate() (root string, err error) {
	var errs []error
	if c.Bucket == "" {
		errs = append(errs, errors.New("bucket is required"))
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		errs = append(errs, errors.New("access key and secret key must be set together (or both empty for ambient credentials)"))
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max attempts %d is negative", c.MaxAttempts))
	}
	root = strings.Trim(c.Root, "/")
	if root != "" {
		if err := storage.ValidateKey(root); err != nil {
			errs = append(errs, fmt.Errorf("root: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("s3 config: %w", err)
	}
	return root, nil
}

func (c Config) usePathStyle() bool {
	if c.UsePathStyle != nil {
		return *c.UsePathStyle
	}
	return c.Endpoint != ""
}

// sdkLogger forwards the SDK's log messages to l (nil: drop them).
func sdkLogger(l *slog.Logger) logging.Logger {
	if l == nil {
		return logging.Nop{}
	}
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		level := slog.LevelDebug
		if c == logging.Warn {
			level = slog.LevelWarn
		}
		l.Log(context.Background(), level, fmt.Sprintf(format, v...), slog.String("component", "aws-sdk"))
	})
}
