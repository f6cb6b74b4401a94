// Package config reads Wharf's configuration from REGISTRY_* environment
// variables, once, and reports every problem at once, each naming its
// variable. It is the only place that reads the environment.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole server configuration.
type Config struct {
	ListenIP   string // REGISTRY_WEB_LISTENON_IP
	ListenPort int    // REGISTRY_WEB_LISTENON_PORT
	PublicURL  string // REGISTRY_WEB_PUBLIC_URI, no trailing slash
	BodyLimit  int64  // REGISTRY_WEB_BODY_LIMIT
	// CookieSecret is REGISTRY_WEB_COOKIE_SECRET; empty means "generate and
	// keep one in the data dir".
	CookieSecret string
	DataDir      string // REGISTRY_DATA_DIR
	DatabaseURL  string // REGISTRY_DATABASE_URL; empty = SQLite file in DataDir
	PublicRead   bool   // REGISTRY_PUBLIC_READ
	RegistryName string // REGISTRY_SELF_LOCAL_NAME, the cargo registry name in snippets
	LogLevel     string // REGISTRY_LOG_LEVEL
	LogFormat    string // REGISTRY_LOG_FORMAT: text|json
	AdminLogin   string // REGISTRY_ADMIN_LOGIN: login of the bootstrap admin

	IndexSparse bool // REGISTRY_INDEX_PROTOCOL_SPARSE
	IndexGit    bool // REGISTRY_INDEX_PROTOCOL_GIT
	Git         Git

	Storage        string        // REGISTRY_STORAGE: fs|s3
	StorageTimeout time.Duration // REGISTRY_STORAGE_TIMEOUT (milliseconds)
	Retry          Retry
	S3             S3

	// Identity (config/identity.go): web login and sessions.
	OAuth       OAuth
	LocalLogin  bool          // REGISTRY_LOCAL_LOGIN: password form for local accounts
	AdminEmails []string      // REGISTRY_ADMIN_EMAILS: exactly these (lower-cased) e-mails are admins on OIDC login
	SessionTTL  time.Duration // REGISTRY_WEB_SESSION_TTL
}

// Retry is the storage retry policy (REGISTRY_STORAGE_RETRY_*).
type Retry struct {
	Enabled  bool
	MaxTimes int
	MinDelay time.Duration
	MaxDelay time.Duration
	Factor   float64
	Jitter   bool
}

// Git configures the git index and its remote mirror (REGISTRY_GIT_*).
type Git struct {
	UserName, UserEmail   string // commit author
	Branch                string
	Remote                string // REGISTRY_GIT_REMOTE
	PushChanges           bool   // REGISTRY_GIT_REMOTE_PUSH_CHANGES
	SSHKeyFile            string // REGISTRY_GIT_REMOTE_SSH_KEY_FILENAME
	KnownHostsFile        string // REGISTRY_GIT_REMOTE_KNOWN_HOSTS
	InsecureIgnoreHostKey bool   // REGISTRY_GIT_REMOTE_INSECURE_IGNORE_HOST_KEY
}

// GitEnabled reports whether a local git index repository is maintained.
func (c *Config) GitEnabled() bool { return c.IndexGit || c.Git.Remote != "" }

// S3 is the S3 storage configuration (REGISTRY_S3_*).
type S3 struct {
	URI, Region, AccessKey, SecretKey, Bucket, Root string
}

// ListenAddr is host:port for the HTTP server.
func (c *Config) ListenAddr() string {
	return net.JoinHostPort(c.ListenIP, strconv.Itoa(c.ListenPort))
}

// SQLitePath is the database file used when DatabaseURL is empty.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "wharf.db") }

type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) str(name, def string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return def
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (l *loader) boolean(name string, def bool) bool {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(name, "must be true or false, got %q", v)
	}
	return b
}

func (l *loader) integer(name string, def, minimum, maximum int64) int64 {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < minimum || n > maximum {
		l.fail(name, "must be an integer between %d and %d, got %q", minimum, maximum, v)
		return def
	}
	return n
}

func (l *loader) float(name string, def, minimum float64) float64 {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < minimum {
		l.fail(name, "must be a number ≥ %g, got %q", minimum, v)
		return def
	}
	return f
}

// Load reads the configuration through getenv (os.Getenv in main).
func Load(getenv func(string) string) (*Config, error) {
	l := &loader{getenv: getenv}
	c := &Config{
		ListenIP:     l.str("REGISTRY_WEB_LISTENON_IP", "127.0.0.1"),
		ListenPort:   int(l.integer("REGISTRY_WEB_LISTENON_PORT", 8080, 0, 65535)),
		PublicURL:    strings.TrimRight(l.str("REGISTRY_WEB_PUBLIC_URI", "http://127.0.0.1:8080"), "/"),
		BodyLimit:    l.integer("REGISTRY_WEB_BODY_LIMIT", 10<<20, 1024, 1<<34),
		CookieSecret: l.str("REGISTRY_WEB_COOKIE_SECRET", ""),
		DataDir:      l.str("REGISTRY_DATA_DIR", "./data"),
		DatabaseURL:  l.str("REGISTRY_DATABASE_URL", ""),
		PublicRead:   l.boolean("REGISTRY_PUBLIC_READ", false),
		RegistryName: l.str("REGISTRY_SELF_LOCAL_NAME", "wharf"),
		LogLevel:     strings.ToLower(l.str("REGISTRY_LOG_LEVEL", "info")),
		LogFormat:    strings.ToLower(l.str("REGISTRY_LOG_FORMAT", "text")),
		AdminLogin:   l.str("REGISTRY_ADMIN_LOGIN", "admin"),
		IndexSparse:  l.boolean("REGISTRY_INDEX_PROTOCOL_SPARSE", true),
		IndexGit:     l.boolean("REGISTRY_INDEX_PROTOCOL_GIT", false),
		Git: Git{
			UserName:              l.str("REGISTRY_GIT_USER_NAME", "Wharf"),
			UserEmail:             l.str("REGISTRY_GIT_USER_EMAIL", "wharf@localhost"),
			Branch:                l.str("REGISTRY_GIT_BRANCH", "main"),
			Remote:                l.str("REGISTRY_GIT_REMOTE", ""),
			PushChanges:           l.boolean("REGISTRY_GIT_REMOTE_PUSH_CHANGES", false),
			SSHKeyFile:            l.str("REGISTRY_GIT_REMOTE_SSH_KEY_FILENAME", ""),
			KnownHostsFile:        l.str("REGISTRY_GIT_REMOTE_KNOWN_HOSTS", ""),
			InsecureIgnoreHostKey: l.boolean("REGISTRY_GIT_REMOTE_INSECURE_IGNORE_HOST_KEY", false),
		},
		Storage:        strings.ToLower(l.str("REGISTRY_STORAGE", "fs")),
		StorageTimeout: time.Duration(l.integer("REGISTRY_STORAGE_TIMEOUT", 30000, 1, 3_600_000)) * time.Millisecond,
		Retry: Retry{
			Enabled:  l.boolean("REGISTRY_STORAGE_RETRY_ENABLED", true),
			MaxTimes: int(l.integer("REGISTRY_STORAGE_RETRY_MAX_TIMES", 3, 1, 100)),
			MinDelay: time.Duration(l.integer("REGISTRY_STORAGE_RETRY_MIN_DELAY_MS", 100, 0, 600_000)) * time.Millisecond,
			MaxDelay: time.Duration(l.integer("REGISTRY_STORAGE_RETRY_MAX_DELAY_MS", 5000, 0, 3_600_000)) * time.Millisecond,
			Factor:   l.float("REGISTRY_STORAGE_RETRY_FACTOR", 2, 1),
			Jitter:   l.boolean("REGISTRY_STORAGE_RETRY_JITTER", true),
		},
		S3: S3{
			URI:       l.str("REGISTRY_S3_URI", ""),
			Region:    l.str("REGISTRY_S3_REGION", "us-east-1"),
			AccessKey: l.str("REGISTRY_S3_ACCESS_KEY", ""),
			SecretKey: l.str("REGISTRY_S3_SECRET_KEY", ""),
			Bucket:    l.str("REGISTRY_S3_BUCKET", ""),
			Root:      strings.Trim(l.str("REGISTRY_S3_ROOT", ""), "/"),
		},
	}
	l.identity(c)
	l.validate(c)
	l.validateIdentity(c)
	if len(l.errs) > 0 {
		return nil, fmt.Errorf("invalid configuration:\n%w", errors.Join(l.errs...))
	}
	return c, nil
}

func (l *loader) validate(c *Config) {
	if net.ParseIP(c.ListenIP) == nil {
		l.fail("REGISTRY_WEB_LISTENON_IP", "must be an IP address, got %q", c.ListenIP)
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		l.fail("REGISTRY_WEB_PUBLIC_URI", "must be an absolute http(s) URL such as https://crates.example.com, got %q", c.PublicURL)
	}
	if c.CookieSecret != "" && len(c.CookieSecret) < 32 {
		l.fail("REGISTRY_WEB_COOKIE_SECRET", "must be at least 32 characters (got %d); leave it unset to generate one", len(c.CookieSecret))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		l.fail("REGISTRY_DATABASE_URL", "must be a postgres:// URL (leave it unset for the embedded SQLite database)")
	}
	if !validRegistryName(c.RegistryName) {
		l.fail("REGISTRY_SELF_LOCAL_NAME", "must be a cargo registry name (letters, digits, '-' or '_', starting with a letter), got %q", c.RegistryName)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		l.fail("REGISTRY_LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		l.fail("REGISTRY_LOG_FORMAT", "must be text or json, got %q", c.LogFormat)
	}
	switch c.Storage {
	case "fs", "filesystem":
		c.Storage = "fs"
	case "s3":
		if c.S3.Bucket == "" {
			l.fail("REGISTRY_S3_BUCKET", "is required when REGISTRY_STORAGE=s3")
		}
		if c.S3.URI != "" {
			if u, err := url.Parse(c.S3.URI); err != nil || u.Host == "" {
				l.fail("REGISTRY_S3_URI", "must be an absolute URL such as http://127.0.0.1:7070, got %q", c.S3.URI)
			}
		}
		if (c.S3.AccessKey == "") != (c.S3.SecretKey == "") {
			l.fail("REGISTRY_S3_SECRET_KEY", "REGISTRY_S3_ACCESS_KEY and REGISTRY_S3_SECRET_KEY must both be set, or both empty for ambient credentials")
		}
	default:
		l.fail("REGISTRY_STORAGE", "must be fs or s3, got %q", c.Storage)
	}
	if c.Git.PushChanges && c.Git.Remote == "" {
		l.fail("REGISTRY_GIT_REMOTE_PUSH_CHANGES", "needs REGISTRY_GIT_REMOTE")
	}
	if c.Git.SSHKeyFile != "" {
		if _, err := os.Stat(c.Git.SSHKeyFile); err != nil {
			l.fail("REGISTRY_GIT_REMOTE_SSH_KEY_FILENAME", "cannot read %s: %v", c.Git.SSHKeyFile, err)
		}
	}
	if c.Git.KnownHostsFile != "" {
		if _, err := os.Stat(c.Git.KnownHostsFile); err != nil {
			l.fail("REGISTRY_GIT_REMOTE_KNOWN_HOSTS", "cannot read %s: %v", c.Git.KnownHostsFile, err)
		}
	}
	if !validBranch(c.Git.Branch) {
		l.fail("REGISTRY_GIT_BRANCH", "must be a simple branch name such as main, got %q", c.Git.Branch)
	}
	if c.Retry.MinDelay > c.Retry.MaxDelay {
		l.fail("REGISTRY_STORAGE_RETRY_MIN_DELAY_MS", "must not exceed REGISTRY_STORAGE_RETRY_MAX_DELAY_MS")
	}
}

func validBranch(s string) bool {
	if s == "" || strings.HasPrefix(s, "-") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '/') {
			return false
		}
	}
	return true
}

func validRegistryName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
