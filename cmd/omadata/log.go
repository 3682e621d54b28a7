// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// LogCommand works on the transparency log.
type LogCommand struct {
	m *Main
}

func newLogCommand(m *Main) *LogCommand { return &LogCommand{m: m} }

// Run runs the log subcommand named by args[0].
func (c *LogCommand) Run(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "log", args, c.Usage, []subcommand{
		{"verify", newLogVerifyCommand(c.m).Run},
	})
}

// Usage prints the command's help.
func (c *LogCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata log <subcommand> [flags]

Works on the operator's transparency log.

The subcommands are:

	verify    recompute the log from the stored leaves and check every
	          stored hash, checkpoint and record link; offline, read-only

Run "omadata log <subcommand> -h" for a subcommand's flags.
`)
}

// LogVerifyCommand verifies the transparency log of a database.
type LogVerifyCommand struct {
	m       *Main
	fs      *flag.FlagSet
	cf      *configFlags
	key     string
	keyFile string
}

func newLogVerifyCommand(m *Main) *LogVerifyCommand {
	c := &LogVerifyCommand{m: m, fs: flag.NewFlagSet("log verify", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	c.fs.StringVar(&c.key, "key", "", "the log's verifier key, as /.well-known/mydata/log-key publishes it")
	c.fs.StringVar(&c.keyFile, "key-file", "", "a file of verifier keys, one per line (a saved /.well-known/mydata/log-key)")
	return c
}

// Run verifies the log and exits non-zero naming the first bad entry.
func (c *LogVerifyCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	var o store.VerifyLogOptions
	if c.key != "" {
		o.VerifierKeys = append(o.VerifierKeys, c.key)
	}
	if c.keyFile != "" {
		b, err := os.ReadFile(c.keyFile)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				o.VerifierKeys = append(o.VerifierKeys, l)
			}
		}
	}
	if len(cfg.SecretKey) > 0 {
		if o.Keyring, err = keys.NewKeyring(cfg.SecretKey); err != nil {
			return err
		}
	}
	db, _, ctx, err := openTokenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	shown := newProgress(c.m.Stderr)
	shown.Printf("Verifying the log…")
	o.Progress = func(n int64) { shown.Printf("Verifying the log: %d leaves checked…", n) }
	rep, err := store.VerifyLog(ctx, db, o)
	shown.Done()
	var p *store.LogProblem
	if errors.As(err, &p) {
		return fmt.Errorf("the log does not verify: %s", p.What)
	} else if err != nil {
		return err
	}
	w := c.m.Stdout
	fmt.Fprintf(w, "The log verifies: %d leaves, %d checkpoints, %d records linked, in %s.\n",
		rep.Leaves, rep.Checkpoints, rep.Records, time.Since(start).Round(time.Millisecond))
	if rep.Checkpoints > 0 {
		fmt.Fprintf(w, "Latest checkpoint: %s, size %d, root %s\n", rep.Origin, rep.Size, rep.RootHash)
	}
	if rep.Pending > 0 {
		fmt.Fprintf(w, "%d leaves wait for the next checkpoint.\n", rep.Pending)
	}
	if o.Keyring != nil {
		fmt.Fprintf(w, "Resident commitments: %d recomputed, %d unlinkable (their resident was erased).\n", rep.Commitments, rep.Unlinkable)
	} else {
		fmt.Fprintln(w, "Resident commitments not checked: no secret key (OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE).")
	}
	if len(o.VerifierKeys) == 0 {
		fmt.Fprintln(w, "Checkpoint signatures were checked with the log keys stored in the database; pin the published key with --key.")
	}
	return nil
}

// Usage prints the command's help.
func (c *LogVerifyCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata log verify [flags]

Recomputes the transparency log's tree from the stored leaves and checks,
offline and without writing: every leaf against its hash in the index and
its key for lookups by hash, the stored tree hashes, every checkpoint's signature, size and root, that no
checkpoint is missing, and that the record each leaf commits to (consent
record, decision, grant, transfer, request, admin change) is still there,
unchanged. With the secret key (OMADATA_SECRET_KEY or
OMADATA_SECRET_KEY_FILE) it also recomputes each leaf's commitment to its
resident. Exits non-zero naming the first bad entry. Run it on a copy of the
database to check a backup.
`)
	printFlags(c.m.Stdout, c.fs)
}
