// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/witness"
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
	policy  string
}

func newLogVerifyCommand(m *Main) *LogVerifyCommand {
	c := &LogVerifyCommand{m: m, fs: flag.NewFlagSet("log verify", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	c.fs.StringVar(&c.key, "key", "", "the log's verifier key, as /.well-known/mydata/log-key publishes it")
	c.fs.StringVar(&c.keyFile, "key-file", "", "a file of verifier keys, one per line (a saved /.well-known/mydata/log-key)")
	c.fs.StringVar(&c.policy, "policy", "", "a witness policy file (a saved /api/v1/public/log/witness-policy): check every stored cosignature with its witness's key in it")
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
	var policy *witness.Policy
	if c.policy != "" {
		b, err := os.ReadFile(c.policy)
		if err != nil {
			return err
		}
		if policy, err = witness.ParsePolicy(b); err != nil {
			return fmt.Errorf("--policy %s: %s", c.policy, err.Error())
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
	crep, err := store.VerifyCosignatures(ctx, db, policy)
	if errors.As(err, &p) {
		return fmt.Errorf("the log's cosignatures do not verify: %s", p.What)
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
	c.report(crep, policy != nil)
	if len(o.VerifierKeys) == 0 {
		fmt.Fprintln(w, "Checkpoint signatures were checked with the log keys stored in the database; pin the published key with --key.")
	}
	return nil
}

// report says what VerifyCosignatures found (docs/transparency-log.md).
func (c *LogVerifyCommand) report(rep *store.CosignatureReport, checked bool) {
	w := c.m.Stdout
	if !checked {
		if rep.Cosignatures == 0 {
			return
		}
		fmt.Fprintf(w, "Cosignatures: %d on %d checkpoints, not checked: no witness policy (--policy).\n", rep.Cosignatures, rep.Checkpoints)
		return
	}
	fmt.Fprintf(w, "Cosignatures: %d on %d checkpoints, each of a witness the policy names verifies.\n", rep.Cosignatures-int64(len(rep.Unknown)), rep.Checkpoints)
	for _, u := range rep.Unknown {
		fmt.Fprintf(w, "Checkpoint %d: a cosignature of %s, a witness the policy does not name, not checked.\n", u.Size, u.Witness)
	}
	if len(rep.Met) == 0 {
		fmt.Fprintln(w, "No checkpoint meets the witness policy.")
		return
	}
	sizes := make([]string, len(rep.Met))
	for i, s := range rep.Met {
		sizes[i] = strconv.FormatInt(s, 10)
	}
	fmt.Fprintf(w, "Checkpoints that meet the witness policy: %d (sizes %s); the newest: size %d.\n", len(rep.Met), strings.Join(sizes, ", "), rep.Met[len(rep.Met)-1])
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
resident. With --policy (a saved witness policy, docs/witnessing.md §5) it
checks every stored cosignature with its witness's key in the policy and
says which checkpoints meet the policy; without, it counts them. Exits
non-zero naming the first bad entry. Run it on a copy of the
database to check a backup.
`)
	printFlags(c.m.Stdout, c.fs)
}
