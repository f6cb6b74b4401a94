package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/web/login"
	"github.com/wharfhq/wharf/web/session"
)

// identityMounts builds the browser identity layer: the session middleware
// (cookie → principal) and the CSRF check for cookie sessions, to install as
// api.Config.Middlewares, and the login routes (/login, /login/oidc, the
// OIDC callback, /login/local, /logout), to add to api.Config.Mounts.
func identityMounts(cfg *config.Config, reg *registry.Service, logger *slog.Logger) (middlewares []func(http.Handler) http.Handler, mounts []func(chi.Router), err error) {
	secret, err := cookieSecret(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("cookie secret: %w", err)
	}
	sessions, err := session.New(session.Config{
		Registry: reg, Logger: logger, PublicURL: cfg.PublicURL, CookieSecret: secret, TTL: cfg.SessionTTL,
	})
	if err != nil {
		return nil, nil, err
	}
	lh, err := login.New(login.Config{
		Registry: reg, Sessions: sessions, Logger: logger, PublicURL: cfg.PublicURL, OAuth: cfg.OAuth,
		AdminEmails: cfg.AdminEmails, LocalLogin: cfg.LocalLogin,
	})
	if err != nil {
		return nil, nil, err
	}
	switch {
	case cfg.OAuth.Enabled() && !cfg.OAuth.Discovery() && cfg.OAuth.JWKSURI == "":
		logger.Warn("OIDC login without ID token verification: identity comes from the userinfo endpoint only (set REGISTRY_OAUTH_JWKS_URI to verify ID tokens)")
	case !cfg.OAuth.Enabled() && !cfg.LocalLogin:
		logger.Info("no browser login configured (REGISTRY_OAUTH_* or REGISTRY_LOCAL_LOGIN): tokens only")
	}
	return []func(http.Handler) http.Handler{sessions.Middleware, sessions.RequireCSRF},
		[]func(chi.Router){lh.Mount}, nil
}

// stdin is where --password-stdin reads (tests replace it).
var stdin io.Reader = os.Stdin

// readPassword reads one line (the password) from stdin.
func readPassword() (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{"--password-stdin: no password on standard input"}
	}
	return pw, nil
}

const userIdentityUsage = "usage: wharf user set-password LOGIN --password-stdin | wharf user deactivate LOGIN | wharf user activate LOGIN"

// userIdentityCmd runs `wharf user set-password|deactivate|activate`.
func userIdentityCmd(ctx context.Context, cfg *config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fromStdin := fs.Bool("password-stdin", false, "read the new password from standard input")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{userIdentityUsage}
	}
	login := pos[0]
	return withRegistry(ctx, cfg, logger, func(reg *registry.Service) error {
		switch args[0] {
		case "set-password":
			if !*fromStdin {
				return usageError{"set-password needs --password-stdin (the password is never taken from the command line)"}
			}
			pw, err := readPassword()
			if err != nil {
				return err
			}
			if err := reg.SetPassword(ctx, login, pw); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "password set for %s\n", login)
			if !cfg.LocalLogin {
				fmt.Fprintln(stdout, "note: local login is off; set REGISTRY_LOCAL_LOGIN=true to use it")
			}
			return nil
		case "deactivate", "activate":
			u, err := reg.GetUserByLogin(ctx, login)
			if err != nil {
				return err
			}
			active := args[0] == "activate"
			if err := reg.SetUserActive(ctx, u.ID, active); err != nil {
				return err
			}
			if active {
				fmt.Fprintf(stdout, "activated %s (ended sessions stay ended)\n", login)
			} else {
				fmt.Fprintf(stdout, "deactivated %s: sessions revoked, tokens refused\n", login)
			}
			return nil
		}
		return usageError{userIdentityUsage}
	})
}

// readNewPassword reads a password for --password-stdin and checks its
// length before anything is written.
func readNewPassword() (string, error) {
	pw, err := readPassword()
	if err != nil {
		return "", err
	}
	if err := auth.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}
