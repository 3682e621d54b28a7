// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/omadata/omadata"
)

// WitnessCommand manages the logs this operator witnesses and their forks
// (docs/witnessing.md §2 and §4). Its changes are an operator admin's,
// audited with the command line as the actor.
type WitnessCommand struct {
	m *Main
}

func newWitnessCommand(m *Main) *WitnessCommand { return &WitnessCommand{m: m} }

// Run runs the witness subcommand named by args[0].
func (c *WitnessCommand) Run(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "witness", args, c.Usage, []subcommand{
		{"add-log", newWitnessAddLogCommand(c.m).Run},
		{"remove-log", newWitnessRemoveLogCommand(c.m).Run},
		{"list", newWitnessListCommand(c.m).Run},
		{"forks", newWitnessForksCommand(c.m).Run},
		{"resolve", newWitnessResolveCommand(c.m).Run},
	})
}

// Usage prints the command's help.
func (c *WitnessCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata witness <subcommand> [flags]

Every omadata operator is a witness (C2SP tlog-witness): it cosigns a log's
checkpoint only after checking that it extends the last one it cosigned.
It witnesses the logs of its network's members and the logs an admin adds
here. See docs/witnessing.md.

The subcommands are:

	add-log --origin O --key VKEY [--label L] --reason R
	                     witness a log, or change its keys or label
	remove-log --origin O --reason R
	                     stop witnessing a log an admin added; its fork
	                     evidence is kept, and adding it again starts afresh
	list                 list the logs witnessed, and the latest checkpoint
	                     cosigned of each
	forks [--show ID]    list the forks caught, or print one's evidence
	resolve ID --keep old|new --reason R
	                     unfreeze a forked log, keeping the checkpoint
	                     cosigned before the fork (old) or the other (new)

Run "omadata witness <subcommand> -h" for a subcommand's flags.
`)
}

// logFlags are the flags of add-log and remove-log by the field an error
// of the store names: what the admin typed (source: the origin is taken).
var logFlags = map[string]string{"origin": "--origin", "verifier_keys": "--key", "label": "--label", "reason": "--reason", "source": "--origin"}

// flagErr names the flag where err names an API field, for the CLI's
// error output (main's errorText prints the field).
func flagErr(err error, flags map[string]string) error {
	var e *omadata.Error
	if !errors.As(err, &e) || flags[e.Field] == "" {
		return err
	}
	return &omadata.Error{Code: e.Code, Message: e.Message, Field: flags[e.Field]}
}

// stringsFlag is a flag that may be given several times.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(s string) error { *f = append(*f, s); return nil }

// WitnessAddLogCommand adds a log to witness.
type WitnessAddLogCommand struct {
	m                     *Main
	fs                    *flag.FlagSet
	cf                    *configFlags
	origin, label, reason string
	keys                  stringsFlag
}

func newWitnessAddLogCommand(m *Main) *WitnessAddLogCommand {
	c := &WitnessAddLogCommand{m: m, fs: flag.NewFlagSet("witness add-log", flag.ContinueOnError)}
	c.fs.StringVar(&c.origin, "origin", "", "the log's origin, the first line of its checkpoints (required)")
	c.fs.Var(&c.keys, "key", "the log's signed-note verifier key, named by its origin (required; repeat for several)")
	c.fs.StringVar(&c.label, "label", "", "what the console calls the log")
	c.fs.StringVar(&c.reason, "reason", "", "why the log is witnessed, for the audit record (required)")
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run adds the log, or replaces the keys and label of one added before,
// keeping the latest checkpoint cosigned.
func (c *WitnessAddLogCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	} else if c.origin == "" || len(c.keys) == 0 || c.reason == "" {
		return usageErrorf("witness add-log: --origin, --key and --reason are required (run \"omadata witness add-log -h\" for usage)")
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
	l := &omadata.WitnessedLog{Origin: c.origin, VerifierKeys: c.keys, Source: omadata.WitnessLogAdmin, Label: c.label, Active: true, Reason: c.reason}
	if err := s.PutWitnessedLog(cliAdmin(ctx), l); err != nil {
		return flagErr(err, logFlags)
	}
	fmt.Fprintf(c.m.Stdout, "Witnessing %s: it may now ask this witness to cosign its checkpoints.\n", c.origin)
	return nil
}

// Usage prints the command's help.
func (c *WitnessAddLogCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata witness add-log --origin O --key VKEY [--label L] --reason R [flags]

Witnesses the log of origin O: any C2SP tlog-checkpoint log, not only
omadata's. VKEY is its signed-note Ed25519 verifier key, whose name is the
origin (an omadata operator publishes it at /.well-known/mydata/log-key).
Adding a log added before replaces its keys and label and keeps the latest
checkpoint cosigned; adding one that was removed starts afresh, forgetting
it (to follow a log that started over). Audited as witness.log_added.
`)
	printFlags(c.m.Stdout, c.fs)
}

// WitnessRemoveLogCommand stops witnessing a log.
type WitnessRemoveLogCommand struct {
	m              *Main
	fs             *flag.FlagSet
	cf             *configFlags
	origin, reason string
}

func newWitnessRemoveLogCommand(m *Main) *WitnessRemoveLogCommand {
	c := &WitnessRemoveLogCommand{m: m, fs: flag.NewFlagSet("witness remove-log", flag.ContinueOnError)}
	c.fs.StringVar(&c.origin, "origin", "", "the log's origin (required)")
	c.fs.StringVar(&c.reason, "reason", "", "why the log is no longer witnessed, for the audit record (required)")
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run makes the log inactive: its requests are answered 404.
func (c *WitnessRemoveLogCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	} else if c.origin == "" || c.reason == "" {
		return usageErrorf("witness remove-log: --origin and --reason are required (run \"omadata witness remove-log -h\" for usage)")
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
	if err := s.RemoveWitnessedLog(cliAdmin(ctx), c.origin, c.reason); err != nil {
		return flagErr(err, logFlags)
	}
	fmt.Fprintf(c.m.Stdout, "No longer witnessing %s; any fork evidence is kept. Adding it again starts afresh.\n", c.origin)
	return nil
}

// Usage prints the command's help.
func (c *WitnessRemoveLogCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata witness remove-log --origin O --reason R [flags]

Stops witnessing a log an admin added: its add-checkpoint requests are
answered 404. Its fork evidence is kept; adding the log again starts
afresh, forgetting the latest checkpoint cosigned (docs/witnessing.md §4).
Audited as witness.log_removed.
`)
	printFlags(c.m.Stdout, c.fs)
}

// WitnessListCommand lists the logs witnessed.
type WitnessListCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newWitnessListCommand(m *Main) *WitnessListCommand {
	c := &WitnessListCommand{m: m, fs: flag.NewFlagSet("witness list", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run prints a table of the logs, by origin.
func (c *WitnessListCommand) Run(ctx context.Context, args []string) error {
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
	logs, err := s.FindWitnessedLogs(ctx)
	if err != nil {
		return err
	}
	if len(logs) == 0 {
		fmt.Fprintln(c.m.Stdout, "No logs are witnessed. Network members' logs appear once serve resolves them; add another with: omadata witness add-log")
		return nil
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ORIGIN\tSOURCE\tSTATE\tSIZE\tCOSIGNED\tLABEL")
	for _, l := range logs {
		state := "active"
		if l.Forked {
			state = "forked"
		} else if !l.Active {
			state = "removed"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", l.Origin, l.Source, state, l.Size, timeOrDash(l.CosignedAt), dashIfEmpty(l.Label))
	}
	return w.Flush()
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Usage prints the command's help.
func (c *WitnessListCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata witness list [flags]

Lists the logs this operator witnesses, by origin: where they come from
(peer: a network member; admin: added with add-log), whether they are
witnessed (active), frozen by a fork (forked) or no longer witnessed
(removed), and the size and time of the latest checkpoint cosigned.
`)
	printFlags(c.m.Stdout, c.fs)
}

// WitnessForksCommand lists the forks caught.
type WitnessForksCommand struct {
	m    *Main
	fs   *flag.FlagSet
	cf   *configFlags
	show string
}

func newWitnessForksCommand(m *Main) *WitnessForksCommand {
	c := &WitnessForksCommand{m: m, fs: flag.NewFlagSet("witness forks", flag.ContinueOnError)}
	c.fs.StringVar(&c.show, "show", "", "print the evidence of this fork (wfk_…): both signed checkpoints, verbatim, and the proof")
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run prints a table of the forks, newest first, or one fork's evidence.
func (c *WitnessForksCommand) Run(ctx context.Context, args []string) error {
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
	forks, err := s.FindWitnessForks(ctx)
	if err != nil {
		return err
	}
	if c.show != "" {
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
	if len(forks) == 0 {
		fmt.Fprintln(c.m.Stdout, "No forks were caught.")
		return nil
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tORIGIN\tSEEN\tDETECTED\tKNOWN\tCONFLICTING\tRESOLVED")
	for _, f := range forks {
		resolved := "no: frozen"
		if f.ResolvedAt != nil {
			resolved = "kept " + f.Resolution + " " + f.ResolvedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.Origin, f.Seen, f.DetectedAt.Format(time.RFC3339),
			checkpointSize(f.Known), checkpointSize(f.Conflicting), resolved)
	}
	return w.Flush()
}

// checkpointSize says a signed checkpoint's size (its second line).
func checkpointSize(signed string) string {
	lines := strings.SplitN(signed, "\n", 3)
	if len(lines) < 3 {
		return "?"
	}
	if _, err := strconv.ParseInt(lines[1], 10, 64); err != nil {
		return "?"
	}
	return "size " + lines[1]
}

// Usage prints the command's help.
func (c *WitnessForksCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata witness forks [--show ID] [flags]

Lists the forks this witness caught, newest first: two checkpoints of one
log, both signed with its key, that cannot both be true. A forked log is
frozen (every request for it is refused) until an admin resolves the fork.
With --show, prints the fork's evidence: both signed checkpoints verbatim,
which anyone can verify with the log's key, and the proof it was sent.
`)
	printFlags(c.m.Stdout, c.fs)
}

// WitnessResolveCommand resolves a fork.
type WitnessResolveCommand struct {
	m            *Main
	fs           *flag.FlagSet
	cf           *configFlags
	keep, reason string
}

func newWitnessResolveCommand(m *Main) *WitnessResolveCommand {
	c := &WitnessResolveCommand{m: m, fs: flag.NewFlagSet("witness resolve", flag.ContinueOnError)}
	c.fs.StringVar(&c.keep, "keep", "", "old: keep the checkpoint cosigned before; new: the conflicting one (required)")
	c.fs.StringVar(&c.reason, "reason", "", "why, for the audit record (required)")
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run resolves the fork named by the first argument.
func (c *WitnessResolveCommand) Run(ctx context.Context, args []string) error {
	// The fork's ID may come before the flags, as in the usage line.
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	nargs := 0
	if id == "" {
		nargs = 1
	}
	if err := parseFlags(c.fs, args, c.Usage, nargs); err != nil {
		return err
	} else if id == "" {
		id = c.fs.Arg(0)
	}
	if c.keep == "" || c.reason == "" {
		return usageErrorf("witness resolve: --keep and --reason are required (run \"omadata witness resolve -h\" for usage)")
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
	ctx = cliAdmin(ctx)
	var origin string
	forks, err := s.FindWitnessForks(ctx)
	if err != nil {
		return err
	}
	for _, f := range forks {
		if f.ID == id {
			origin = f.Origin
		}
	}
	if err := s.ResolveWitnessFork(ctx, id, c.keep, c.reason); err != nil {
		return flagErr(err, map[string]string{"keep": "--keep", "reason": "--reason"})
	}
	l, err := s.WitnessedLog(ctx, origin)
	if err != nil {
		return err
	}
	if l.Forked {
		fmt.Fprintf(c.m.Stdout, "Fork %s resolved. %s stays frozen: another fork of it is unresolved.\n", id, origin)
		return nil
	}
	fmt.Fprintf(c.m.Stdout, "Fork %s resolved. %s is witnessed again from its checkpoint of size %d.\n", id, origin, l.Size)
	return nil
}

// Usage prints the command's help.
func (c *WitnessResolveCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata witness resolve ID --keep old|new --reason R [flags]

Resolves the fork ID (omadata witness forks) once the log's operator has
rotated its log key or explained the fault (docs/witnessing.md §4), and
unfreezes the log. With --keep old the witness goes on from the latest
checkpoint it cosigned; with --keep new, from the conflicting checkpoint,
only if it is larger than the checkpoint held (the state never moves
back; a log that started over is removed and added again). The evidence
stays. Audited as witness.fork_resolved.
`)
	printFlags(c.m.Stdout, c.fs)
}
