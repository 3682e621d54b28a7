// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// TokenCommand manages operator admin tokens, working on the database
// directly: whoever can run it can read the database anyway.
type TokenCommand struct {
	m *Main
}

func newTokenCommand(m *Main) *TokenCommand { return &TokenCommand{m: m} }

// Run runs the token subcommand named by args[0].
func (c *TokenCommand) Run(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "token", args, c.Usage, []subcommand{
		{"create", newTokenCreateCommand(c.m).Run},
		{"list", newTokenListCommand(c.m).Run},
		{"revoke", newTokenRevokeCommand(c.m).Run},
	})
}

// subcommand is one subcommand of a command group such as token or keys.
type subcommand struct {
	name string
	run  func(ctx context.Context, args []string) error
}

// runSubcommand runs the subcommand of group named by args[0].
func runSubcommand(ctx context.Context, group string, args []string, usage func(), subs []subcommand) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		if s.name == sub {
			return s.run(ctx, args)
		}
		names[i] = s.name
	}
	switch sub {
	case "help", "-h", "-help", "--help":
		usage()
		return flag.ErrHelp
	case "":
		list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
		return usageErrorf("%s: missing subcommand %s (run \"omadata %s -h\" for usage)", group, list, group)
	default:
		return usageErrorf("%s: unknown subcommand %q (run \"omadata %s -h\" for usage)", group, sub, group)
	}
}

// Usage prints the command's help.
func (c *TokenCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata token <subcommand> [flags]

Manages operator admin tokens. An admin token authenticates API calls as
an operator admin: send it as "Authorization: Bearer <token>".

The subcommands are:

	create --name NAME    create a token and print it; it is shown only once
	list                  list tokens, revoked ones too
	revoke ID             revoke a token; calls made with it fail at once

Run "omadata token <subcommand> -h" for a subcommand's flags.
`)
}

// openTokenStore opens an existing database for the token subcommands. A
// missing SQLite file is an error, not a new empty database, since a token
// created there would work nowhere.
func openTokenStore(ctx context.Context, cfg Config) (*store.DB, *store.Store, context.Context, error) {
	if path, ok := sqlitePath(cfg.DatabaseURL); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil, fmt.Errorf("no database at %s: run omadata migrate or omadata serve first, or set --database", path)
		}
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx = omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	return db, store.New(db), ctx, nil
}

// sqlitePath returns the file of a SQLite database URL.
func sqlitePath(dbURL string) (string, bool) {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		return "", false
	}
	return strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "file:"), true
}

// TokenCreateCommand creates an admin token.
type TokenCreateCommand struct {
	m    *Main
	fs   *flag.FlagSet
	cf   *configFlags
	name string
}

func newTokenCreateCommand(m *Main) *TokenCreateCommand {
	c := &TokenCreateCommand{m: m, fs: flag.NewFlagSet("token create", flag.ContinueOnError)}
	c.fs.StringVar(&c.name, "name", "", "what the token is for, such as a person or a script (required)")
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run creates the token, prints the secret alone on stdout, for scripts,
// and says what it did on stderr.
func (c *TokenCreateCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	} else if strings.TrimSpace(c.name) == "" {
		return usageErrorf("token create: --name is required (run \"omadata token create -h\" for usage)")
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	db, s, ctx, err := openTokenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := s.CreateAdminToken(ctx, c.name)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stderr, "Created admin token %s (%q). Keep the token printed on standard output: it cannot be shown again.\n", t.ID, t.Name)
	fmt.Fprintln(c.m.Stdout, t.Token)
	return nil
}

// Usage prints the command's help.
func (c *TokenCreateCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata token create --name NAME [flags]

Creates an operator admin token and prints it on standard output, alone,
so that a script can capture it:

	TOKEN=$(omadata token create --name deploy)

The database keeps only a hash of the token; it cannot be shown again.
`)
	printFlags(c.m.Stdout, c.fs)
}

// TokenListCommand lists admin tokens.
type TokenListCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newTokenListCommand(m *Main) *TokenListCommand {
	c := &TokenListCommand{m: m, fs: flag.NewFlagSet("token list", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run prints a table of tokens, newest first.
func (c *TokenListCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	db, s, ctx, err := openTokenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	ts, err := s.FindAdminTokens(ctx)
	if err != nil {
		return err
	} else if len(ts) == 0 {
		fmt.Fprintln(c.m.Stdout, "No admin tokens. Create one with: omadata token create --name NAME")
		return nil
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tCREATED\tREVOKED")
	for _, t := range ts {
		revoked := "-"
		if t.RevokedAt != nil {
			revoked = t.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.UTC().Format(time.RFC3339), revoked)
	}
	return w.Flush()
}

// Usage prints the command's help.
func (c *TokenListCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata token list [flags]

Lists operator admin tokens with their names and when they were created
and revoked. Tokens themselves cannot be shown.
`)
	printFlags(c.m.Stdout, c.fs)
}

// TokenRevokeCommand revokes an admin token.
type TokenRevokeCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newTokenRevokeCommand(m *Main) *TokenRevokeCommand {
	c := &TokenRevokeCommand{m: m, fs: flag.NewFlagSet("token revoke", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run revokes the token whose ID is the one argument.
func (c *TokenRevokeCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 1); err != nil {
		return err
	}
	id := c.fs.Arg(0)
	if !omadata.ValidID(omadata.PrefixAdminToken, id) {
		return usageErrorf("token revoke: %q is not an admin token ID; they look like adm_… (see omadata token list)", id)
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	db, s, ctx, err := openTokenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := s.RevokeAdminToken(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "Revoked admin token %s (%q).\n", t.ID, t.Name)
	return nil
}

// Usage prints the command's help.
func (c *TokenRevokeCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata token revoke [flags] ID

Revokes the operator admin token with this ID (see omadata token list).
Calls made with it fail from the next request on.
`)
	printFlags(c.m.Stdout, c.fs)
}
