// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/anchor"
)

// AnchorForksCommand lists the forks the anchor saw as a witness of the
// members' logs (docs/witnessing.md §4).
type AnchorForksCommand struct {
	m      *Main
	fs     *flag.FlagSet
	db     string
	asJSON bool
	show   string
}

func newAnchorForksCommand(m *Main) *AnchorForksCommand {
	c := &AnchorForksCommand{m: m, fs: flag.NewFlagSet("network anchor forks", flag.ContinueOnError)}
	c.fs.StringVar(&c.db, "db", "", "the anchor's database: sqlite:FILE (or a path) or postgres://… (required)")
	c.fs.BoolVar(&c.asJSON, "json", false, "print the evidence as JSON, both signed checkpoints verbatim")
	c.fs.StringVar(&c.show, "show", "", "print the evidence of this fork (wfk_…): both signed checkpoints, verbatim, and the proof")
	return c
}

// Usage prints the subcommand's help.
func (c *AnchorForksCommand) Usage() {
	fmt.Fprintln(c.m.Stdout, `Usage: omadata network anchor forks --db DB [--json | --show ID]

Lists the forks the anchor saw as a witness (docs/witnessing.md §4), newest
first: two checkpoints of one member's log, both signed with its log key,
that cannot both be true. The member's log stays frozen (every request to
cosign it is refused) until "omadata network anchor resolve-fork".`)
	printFlags(c.m.Stdout, c.fs)
}

// Run prints the evidence.
func (c *AnchorForksCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	if c.db == "" {
		return usageErrorf("network anchor forks: --db is required")
	}
	db, err := anchor.Open(ctx, c.db)
	if err != nil {
		return err
	}
	defer db.Close()
	forks, err := (&anchor.Anchor{DB: db}).WitnessForks(ctx)
	if err != nil {
		return err
	}
	if c.show != "" {
		// As "omadata witness forks --show" prints an operator's.
		for _, f := range forks {
			if f.ID == c.show {
				fmt.Fprintf(c.m.Stdout, "Fork %s of %s, seen in %s at %s.\n\nThe checkpoint cosigned before:\n\n%s\nThe conflicting checkpoint:\n\n%s\nConsistency proof sent (%d hashes):\n",
					f.ID, f.Origin, f.Seen, f.DetectedAt.Format(time.RFC3339), f.Known, f.Conflicting, len(f.Proof))
				for _, h := range f.Proof {
					fmt.Fprintln(c.m.Stdout, h)
				}
				return nil
			}
		}
		return omadata.NotFound("fork")
	}
	if c.asJSON {
		enc := json.NewEncoder(c.m.Stdout)
		enc.SetIndent("", "  ")
		if forks == nil {
			return enc.Encode([]any{})
		}
		return enc.Encode(forks)
	}
	tw := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tORIGIN\tSEEN\tDETECTED\tRESOLVED")
	for _, f := range forks {
		resolved := "no: frozen"
		if f.ResolvedAt != nil {
			resolved = fmt.Sprintf("%s, kept %s, by %s: %s", f.ResolvedAt.Format(time.RFC3339), f.Resolution, f.ResolvedBy, f.Reason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.ID, f.Origin, f.Seen, f.DetectedAt.Format(time.RFC3339), resolved)
	}
	return tw.Flush()
}

// AnchorResolveForkCommand resolves a fork (docs/witnessing.md §4).
type AnchorResolveForkCommand struct {
	m      *Main
	fs     *flag.FlagSet
	db     string
	keep   string
	reason string
	by     string
}

func newAnchorResolveForkCommand(m *Main) *AnchorResolveForkCommand {
	c := &AnchorResolveForkCommand{m: m, fs: flag.NewFlagSet("network anchor resolve-fork", flag.ContinueOnError)}
	c.fs.StringVar(&c.db, "db", "", "the anchor's database: sqlite:FILE (or a path) or postgres://… (required)")
	c.fs.StringVar(&c.keep, "keep", "", "old (the checkpoint cosigned before) or new (the conflicting one): the latest cosigned from now on (required)")
	c.fs.StringVar(&c.reason, "reason", "", "why (required; audited)")
	c.fs.StringVar(&c.by, "by", "", "who resolves it (default: the OS user; audited)")
	return c
}

// Usage prints the subcommand's help.
func (c *AnchorResolveForkCommand) Usage() {
	fmt.Fprintln(c.m.Stdout, `Usage: omadata network anchor resolve-fork --db DB --keep old|new --reason TEXT [--by NAME] FORK-ID

Unfreezes the member's log of a fork (docs/witnessing.md §4) once its
operator rotated its log key or explained the fault, keeping the chosen
checkpoint as the latest the anchor cosigned. The evidence stays. Audited
("omadata network anchor audit").`)
	printFlags(c.m.Stdout, c.fs)
}

// Run resolves the fork.
func (c *AnchorResolveForkCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 1); err != nil {
		return err
	}
	if c.db == "" {
		return usageErrorf("network anchor resolve-fork: --db is required")
	}
	by := c.by
	if by == "" {
		if u, err := user.Current(); err == nil {
			by = u.Username
		}
	}
	db, err := anchor.Open(ctx, c.db)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := (&anchor.Anchor{DB: db}).ResolveWitnessFork(ctx, c.fs.Arg(0), c.keep, c.reason, by)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "Fork %s of %s is resolved, keeping the %s checkpoint; the anchor cosigns %s again.\n", f.ID, f.Origin, f.Resolution, f.Origin)
	return nil
}
