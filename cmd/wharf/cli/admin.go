package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/registry"
)

func withRegistry(ctx context.Context, cfg *config.Config, logger *slog.Logger, fn func(*registry.Service) error) error {
	reg, st, err := openRegistry(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	defer reg.Close(context.WithoutCancel(ctx))
	return fn(reg)
}

func userCmd(ctx context.Context, cfg *config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "set-password" || args[0] == "deactivate" || args[0] == "activate") {
		return userIdentityCmd(ctx, cfg, logger, args, stdout)
	}
	if len(args) == 0 || args[0] != "create" {
		return usageError{"usage: wharf user create LOGIN [--admin] [--email E] [--name N] [--password-stdin]"}
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	admin := fs.Bool("admin", false, "give the admin role")
	email := fs.String("email", "", "e-mail address")
	name := fs.String("name", "", "full name")
	passwordStdin := fs.Bool("password-stdin", false, "read a local login password from standard input")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: wharf user create LOGIN [--admin] [--email E] [--name N] [--password-stdin]"}
	}
	password := ""
	if *passwordStdin {
		if password, err = readNewPassword(); err != nil {
			return err
		}
	}
	return withRegistry(ctx, cfg, logger, func(reg *registry.Service) error {
		u, err := reg.CreateUser(ctx, pos[0], *email, *name, *admin)
		if err != nil {
			return err
		}
		if password != "" {
			if err := reg.SetPassword(ctx, u.Login, password); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "created user %s (id %d, admin %t)\n", u.Login, u.ID, u.IsAdmin)
		return nil
	})
}

func tokenCmd(ctx context.Context, cfg *config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: wharf token create|list|revoke --user LOGIN …"}
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	user := fs.String("user", "", "owner of the token (login)")
	name := fs.String("name", "cli", "token name")
	readOnly := fs.Bool("read-only", false, "read-only token (for CI pulls)")
	pattern := fs.String("crates", "", "limit the token to crate names matching this glob, e.g. acme-*")
	expires := fs.Duration("expires-in", 0, "expire the token after this duration, e.g. 720h")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if *user == "" {
		return usageError{"--user LOGIN is required"}
	}
	return withRegistry(ctx, cfg, logger, func(reg *registry.Service) error {
		switch args[0] {
		case "create":
			opts := registry.TokenOpts{Name: *name, Scopes: auth.WriteScopes, CratePattern: *pattern}
			if *readOnly {
				opts.Scopes = auth.ReadOnlyScopes
			}
			if *expires > 0 {
				t := time.Now().UTC().Add(*expires)
				opts.ExpiresAt = &t
			}
			secret, _, err := reg.CreateToken(ctx, *user, opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, secret)
			return nil
		case "list":
			toks, err := reg.ListTokens(ctx, *user)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tLAST USED\tSTATE")
			for _, t := range toks {
				last, state := "never", "active"
				if t.LastUsedAt != nil {
					last = t.LastUsedAt.UTC().Format(time.RFC3339)
				}
				if t.RevokedAt != nil {
					state = "revoked"
				} else if t.ExpiresAt != nil && time.Now().After(*t.ExpiresAt) {
					state = "expired"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\n", t.ID, t.Name, t.TokenPrefix, t.Scopes, last, state)
			}
			return tw.Flush()
		case "revoke":
			if len(pos) != 1 {
				return usageError{"usage: wharf token revoke --user LOGIN ID"}
			}
			id, err := strconv.ParseInt(pos[0], 10, 64)
			if err != nil {
				return usageError{"token ID must be a number"}
			}
			if err := reg.RevokeToken(ctx, *user, id); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked token %d\n", id)
			return nil
		}
		return usageError{"unknown token command " + strconv.Quote(args[0])}
	})
}
