// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"os/user"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/anchor"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/witness"
)

// NetworkCommand is the operator network's command family
// (docs/network.md): the trust anchor and, from other files, the
// conformance checks.
type NetworkCommand struct {
	m *Main
}

func newNetworkCommand(m *Main) *NetworkCommand { return &NetworkCommand{m: m} }

// networkSubcommands are the subcommands of "omadata network" beyond
// anchor; other files add theirs with one line in an init function.
var networkSubcommands []func(m *Main) subcommand

// anchorEventSigner signs the anchor's membership events (network.md
// §2.6, RFC 9421 as section 3); nil leaves the events unsent. The
// network's request signer sets it.
var anchorEventSigner anchor.SignFunc = netnode.SignAnchorEvent

// Run runs the network subcommand named by args[0].
func (c *NetworkCommand) Run(ctx context.Context, args []string) error {
	subs := []subcommand{{"anchor", newAnchorCommand(c.m).Run}}
	for _, f := range networkSubcommands {
		subs = append(subs, f(c.m))
	}
	return runSubcommand(ctx, "network", args, c.Usage, subs)
}

// Usage prints the command's help.
func (c *NetworkCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata network <subcommand> [flags]

Works on the operator network (docs/network.md).

The subcommands are:

	anchor    run a network's trust anchor and keep its members
	conformance  check a member against docs/network.md, as a member

Run "omadata network <subcommand> -h" for a subcommand's flags.
`)
}

// AnchorCommand runs a trust anchor and changes its member list.
type AnchorCommand struct {
	m *Main
}

func newAnchorCommand(m *Main) *AnchorCommand { return &AnchorCommand{m: m} }

// Run runs the anchor subcommand named by args[0].
func (c *AnchorCommand) Run(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "network anchor", args, c.Usage, []subcommand{
		{"serve", newAnchorServeCommand(c.m).Run},
		{"admit", newAnchorChangeCommand(c.m, "admit").Run},
		{"suspend", newAnchorChangeCommand(c.m, "suspend").Run},
		{"remove", newAnchorChangeCommand(c.m, "remove").Run},
		{"list", newAnchorListCommand(c.m).Run},
		{"audit", newAnchorAuditCommand(c.m).Run},
		{"refresh", newAnchorChangeCommand(c.m, "refresh").Run},
		{"rotate-key", newAnchorChangeCommand(c.m, "rotate-key").Run},
		{"keys", newAnchorKeysCommand(c.m).Run},
		{"forks", newAnchorForksCommand(c.m).Run},
		{"resolve-fork", newAnchorResolveForkCommand(c.m).Run},
	})
}

// Usage prints the command's help.
func (c *AnchorCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata network anchor <subcommand> [flags]

Runs a network's trust anchor (OpenID Federation 1.0) on its own small
database, and keeps its members. Every change is audited with who made it,
when and why.

The subcommands are:

	serve       serve the anchor's entity configuration, subordinate
	            statements, member list and trust marks; refresh the
	            members' keys every minute
	admit       admit an operator: fetch its entity configuration and
	            hold its keys (print their thumbprints to compare)
	suspend     suspend a member; its next call to any member is refused
	remove      remove a member
	list        list the members with their status
	audit       print the audited changes: who, when, what and why
	refresh     fetch every active member's keys now
	rotate-key  add a new anchor key; the old ones stay published
	keys        print the anchor's public keys, the JWK set members pin
	forks       list the forks the anchor saw as a witness of the
	            members' logs: two checkpoints that cannot both be true
	resolve-fork
	            let the anchor cosign a member's log again after a fork

Run "omadata network anchor <subcommand> -h" for a subcommand's flags.
`)
}

// anchorFlags are the flags every anchor subcommand shares.
type anchorFlags struct {
	db, key string
}

func (f *anchorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.db, "db", "", "the anchor's database: sqlite:FILE (or a path) or postgres://… (required)")
	fs.StringVar(&f.key, "key", "", "the anchor's key file, 0600, created when missing (default: the SQLite file's path + .key; required with PostgreSQL)")
}

func (f *anchorFlags) open(ctx context.Context) (*anchor.DB, string, error) {
	key, err := f.keyPath()
	if err != nil {
		return nil, "", err
	}
	db, err := anchor.Open(ctx, f.db)
	return db, key, err
}

// keyPath is the anchor's key file: --key, or the SQLite file's path +
// ".key".
func (f *anchorFlags) keyPath() (string, error) {
	if f.db == "" {
		return "", usageErrorf("network anchor: --db is required")
	}
	if f.key != "" {
		return f.key, nil
	}
	if strings.Contains(f.db, "://") {
		return "", usageErrorf("network anchor: --key is required with a PostgreSQL database")
	}
	return strings.TrimPrefix(f.db, "sqlite:") + ".key", nil
}

// AnchorServeCommand serves a trust anchor.
type AnchorServeCommand struct {
	m        *Main
	fs       *flag.FlagSet
	f        anchorFlags
	listen   string
	id       string
	name     string
	rulebook int
	refresh  time.Duration
}

func newAnchorServeCommand(m *Main) *AnchorServeCommand {
	c := &AnchorServeCommand{m: m, fs: flag.NewFlagSet("network anchor serve", flag.ContinueOnError)}
	c.f.register(c.fs)
	c.fs.StringVar(&c.listen, "listen", "127.0.0.1:8090", "the address to listen on")
	c.fs.StringVar(&c.id, "id", "", "the anchor's entity identifier, its public URL (default: http://the listen address)")
	c.fs.StringVar(&c.name, "name", "omadata network", "the network's name (organization_name)")
	c.fs.IntVar(&c.rulebook, "rulebook", 1, "the rulebook version the member trust marks name")
	c.fs.DurationVar(&c.refresh, "refresh", time.Minute, "how often the members' keys are refreshed")
	return c
}

// Usage prints the subcommand's help.
func (c *AnchorServeCommand) Usage() {
	fmt.Fprintln(c.m.Stdout, `Usage: omadata network anchor serve --db DB [--listen ADDR] [--id URL] [--rulebook N]

Serves the trust anchor (docs/network.md §2): /.well-known/openid-federation,
/fetch?sub=, /list and /trust-mark, and refreshes the members' keys. It is
also a witness of the members' logs (POST /witness/v1/add-checkpoint,
docs/witnessing.md), with its key in the file --key + ".witness".`)
	printFlags(c.m.Stdout, c.fs)
}

// Run serves until interrupted.
func (c *AnchorServeCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	if c.rulebook < 1 {
		return usageErrorf("network anchor serve: --rulebook must be 1 or more")
	} else if c.refresh < time.Second {
		return usageErrorf("network anchor serve: --refresh must be at least 1s")
	}
	db, keyPath, err := c.f.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := anchor.LoadKeys(keyPath)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	id := c.id
	if id == "" {
		id = "http://" + ln.Addr().String()
	}
	if err := federation.ValidEntityID("id", id); err != nil {
		return err
	}
	if err := db.SaveSettings(ctx, anchor.Settings{ID: id, Name: c.name, Rulebook: c.rulebook}); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(c.m.Stderr, nil))
	// The anchor witnesses the members' logs with a key of its own,
	// beside its federation key (docs/witnessing.md §1).
	wk, err := anchor.LoadWitnessKey(anchor.WitnessKeyPath(keyPath))
	if err != nil {
		return err
	}
	cosigner, err := witness.NewCosigner(omadata.WitnessName(id), wk)
	if err != nil {
		return err
	}
	a := &anchor.Anchor{ID: id, Name: c.name, Rulebook: c.rulebook, DB: db, Keys: keys, Sign: anchorEventSigner, Log: log, Witness: cosigner}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	go a.RunRefresh(ctx, c.refresh)
	kids := make([]string, len(keys))
	for i, k := range keys {
		kids[i] = k.ID
	}
	log.Info("trust anchor listening", "addr", ln.Addr().String(), "id", id, "rulebook", c.rulebook, "keys", kids, "witness", cosigner.VerifierKey())
	fmt.Fprintf(c.m.Stdout, "Trust anchor %s (rulebook %d) on %s\n", id, c.rulebook, ln.Addr())
	printAnchorKeys(c.m.Stdout, keys)
	if c.m.Ready != nil {
		c.m.Ready(ln.Addr())
	}
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// printAnchorKeys prints every anchor key ID (RFC 7638 thumbprint), newest
// first, with what each signs (network.md §2.5): the configuration is
// signed with the oldest, statements and trust marks with the newest.
func printAnchorKeys(w io.Writer, keys []federation.Key) {
	fmt.Fprintf(w, "Its keys (RFC 7638 thumbprints; \"omadata network anchor keys\" prints them as the JWK set members pin):\n")
	for i, k := range keys {
		var what []string
		if i == 0 {
			what = append(what, "signs subordinate statements and trust marks")
		}
		if i == len(keys)-1 {
			what = append(what, "signs the entity configuration")
		}
		if len(what) == 0 {
			what = append(what, "published")
		}
		fmt.Fprintf(w, "  %s  %s\n", k.ID, strings.Join(what, "; "))
	}
}

// AnchorKeysCommand prints the anchor's public keys.
type AnchorKeysCommand struct {
	m  *Main
	fs *flag.FlagSet
	f  anchorFlags
}

func newAnchorKeysCommand(m *Main) *AnchorKeysCommand {
	c := &AnchorKeysCommand{m: m, fs: flag.NewFlagSet("network anchor keys", flag.ContinueOnError)}
	c.fs.StringVar(&c.f.db, "db", "", "the anchor's database: sqlite:FILE (or a path) or postgres://… (required)")
	c.fs.StringVar(&c.f.key, "key", "", "the anchor's key file, which must exist (default: the SQLite file's path + .key; required with PostgreSQL)")
	return c
}

// Usage prints the subcommand's help.
func (c *AnchorKeysCommand) Usage() {
	fmt.Fprintln(c.m.Stdout, `Usage: omadata network anchor keys --db DB [--key FILE]

Prints the anchor's public federation keys as a JWK set (docs/network.md
§12.4): the file a joining operator pins as OMADATA_NETWORK_ANCHOR_JWKS.
Each kid is the key's RFC 7638 thumbprint, as "serve" prints them. The key
file must exist: "keys" never makes a key.`)
	printFlags(c.m.Stdout, c.fs)
}

// Run prints the public JWK set of the anchor's keys, newest first.
func (c *AnchorKeysCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	path, err := c.f.keyPath()
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("network anchor keys: the anchor's key file: %w", err)
	}
	keys, err := anchor.LoadKeys(path)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(federation.KeySet(keys...), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.m.Stdout, "%s\n", b)
	return err
}

// AnchorChangeCommand changes the member list or the keys: admit,
// suspend, remove, refresh, rotate-key.
type AnchorChangeCommand struct {
	m      *Main
	verb   string
	fs     *flag.FlagSet
	f      anchorFlags
	reason string
	by     string
	names  map[string]*string // admit: --name-fi, --name-sv, --name-en
}

// name is the name the admin gives with --name-LANG; nil if none.
func (c *AnchorChangeCommand) name() omadata.Text {
	var t omadata.Text
	for l, v := range c.names {
		if *v != "" {
			if t == nil {
				t = omadata.Text{}
			}
			t[l] = *v
		}
	}
	return t
}

func newAnchorChangeCommand(m *Main, verb string) *AnchorChangeCommand {
	c := &AnchorChangeCommand{m: m, verb: verb, fs: flag.NewFlagSet("network anchor "+verb, flag.ContinueOnError)}
	c.f.register(c.fs)
	if verb != "refresh" && verb != "rotate-key" {
		c.fs.StringVar(&c.reason, "reason", "", "why (required; audited)")
	}
	c.fs.StringVar(&c.by, "by", "", "who makes the change (default: the OS user; audited)")
	if verb == "admit" {
		c.names = map[string]*string{}
		for _, l := range omadata.Languages {
			c.names[l] = c.fs.String("name-"+l, "", "the member's name in "+omadata.LanguageName(l)+" (default: as its configuration declares it; pinned)")
		}
	}
	return c
}

func (c *AnchorChangeCommand) nargs() int {
	if c.verb == "refresh" || c.verb == "rotate-key" {
		return 0
	}
	return 1
}

// Usage prints the subcommand's help.
func (c *AnchorChangeCommand) Usage() {
	if c.verb == "admit" {
		fmt.Fprintln(c.m.Stdout, "Usage: omadata network anchor admit --db DB --reason TEXT [--by NAME] [--name-fi TEXT] [--name-sv TEXT] [--name-en TEXT] ENTITY-ID")
	} else if c.nargs() == 1 {
		fmt.Fprintf(c.m.Stdout, "Usage: omadata network anchor %s --db DB --reason TEXT [--by NAME] ENTITY-ID\n", c.verb)
	} else {
		fmt.Fprintf(c.m.Stdout, "Usage: omadata network anchor %s --db DB [--by NAME]\n", c.verb)
	}
	printFlags(c.m.Stdout, c.fs)
}

// Run makes the change, prints it and tells the members (active and
// suspended, network.md §2.6).
func (c *AnchorChangeCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, c.nargs()); err != nil {
		return err
	}
	by := c.by
	if by == "" {
		if u, err := user.Current(); err == nil {
			by = u.Username
		}
	}
	db, keyPath, err := c.f.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var keys []federation.Key
	if c.verb == "rotate-key" {
		keys, err = anchor.RotateKeys(keyPath)
	} else {
		keys, err = anchor.LoadKeys(keyPath)
	}
	if err != nil {
		return err
	}
	s, err := db.LoadSettings(ctx)
	if err != nil {
		return err
	}
	a := &anchor.Anchor{ID: s.ID, Name: s.Name, Rulebook: s.Rulebook, DB: db, Keys: keys, Sign: anchorEventSigner}
	w := c.m.Stdout
	var m *anchor.Member
	status := ""
	switch c.verb {
	case "rotate-key":
		if err := a.AuditKeyRotation(ctx, by, keys); err != nil {
			return fmt.Errorf("the key file has the new key %s, but the audit failed: %w", keys[0].ID, err)
		}
		fmt.Fprintf(w, "The anchor signs with %s from its next start; it still publishes %d older key(s).\n", keys[0].ID, len(keys)-1)
		return nil
	case "refresh":
		err := a.Refresh(ctx, by)
		fmt.Fprintln(w, "Refreshed the active members' keys.")
		return err
	case "admit":
		m, err = a.AdmitNamed(ctx, c.fs.Arg(0), c.name(), c.reason, by)
		status = omadata.MemberActive
	case "suspend":
		m, err = a.Suspend(ctx, c.fs.Arg(0), c.reason, by)
		status = omadata.MemberSuspended
	case "remove":
		m, err = a.Remove(ctx, c.fs.Arg(0), c.reason, by)
		status = omadata.MemberRemoved
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s is %s.\n", m.EntityID, m.Status)
	if c.verb == "admit" {
		fmt.Fprintln(w, "Its federation keys (RFC 7638 SHA-256 thumbprints); compare them with those the operator gave you:")
		for _, tp := range anchor.Thumbprints(m.JWKS) {
			fmt.Fprintf(w, "  %s\n", tp)
		}
		fmt.Fprintln(w, "Its name, pinned in the anchor's statements about it; check it is the operator's (correct it with --name-fi, --name-sv, --name-en):")
		for _, l := range omadata.Languages {
			if m.Name[l] != "" {
				fmt.Fprintf(w, "  %s: %s\n", l, m.Name[l])
			}
		}
	}
	if s.ID == "" {
		fmt.Fprintln(w, "The members were not told: the anchor has not served yet, so its ID is unknown.")
		return nil
	}
	results, err := a.Notify(ctx, m.EntityID, status)
	if err != nil {
		return err
	}
	told := 0
	for _, r := range results {
		if r.Err == nil {
			told++
		} else if errors.Is(r.Err, anchor.ErrNoSigner) {
			fmt.Fprintf(w, "Not told %s: no request signer in this build.\n", r.EntityID)
		} else {
			fmt.Fprintf(w, "Not told %s: %v\n", r.EntityID, r.Err)
		}
	}
	fmt.Fprintf(w, "Told %d of %d members (active or suspended).\n", told, len(results))
	return nil
}

// AnchorListCommand lists the members.
type AnchorListCommand struct {
	m  *Main
	fs *flag.FlagSet
	f  anchorFlags
}

func newAnchorListCommand(m *Main) *AnchorListCommand {
	c := &AnchorListCommand{m: m, fs: flag.NewFlagSet("network anchor list", flag.ContinueOnError)}
	c.fs.StringVar(&c.f.db, "db", "", "the anchor's database: sqlite:FILE (or a path) or postgres://… (required)")
	return c
}

// Usage prints the subcommand's help.
func (c *AnchorListCommand) Usage() {
	fmt.Fprintln(c.m.Stdout, "Usage: omadata network anchor list --db DB")
	printFlags(c.m.Stdout, c.fs)
}

// Run prints the members with their status, keys and last change.
func (c *AnchorListCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	if c.f.db == "" {
		return usageErrorf("network anchor list: --db is required")
	}
	db, err := anchor.Open(ctx, c.f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	a := &anchor.Anchor{DB: db}
	members, err := a.Members(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTITY ID\tSTATUS\tKEYS\tSINCE\tNAME")
	for _, m := range members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.EntityID, m.Status, strings.Join(anchor.Thumbprints(m.JWKS), ","), m.UpdatedAt.Format(time.RFC3339), m.Name.In("fi"))
	}
	return tw.Flush()
}

// AnchorAuditCommand prints the audit of membership changes.
type AnchorAuditCommand struct {
	m  *Main
	fs *flag.FlagSet
	db string
}

func newAnchorAuditCommand(m *Main) *AnchorAuditCommand {
	c := &AnchorAuditCommand{m: m, fs: flag.NewFlagSet("network anchor audit", flag.ContinueOnError)}
	c.fs.StringVar(&c.db, "db", "", "the anchor's database: sqlite:FILE (or a path) or postgres://… (required)")
	return c
}

// Usage prints the subcommand's help.
func (c *AnchorAuditCommand) Usage() {
	fmt.Fprintln(c.m.Stdout, "Usage: omadata network anchor audit --db DB [ENTITY-ID]")
	printFlags(c.m.Stdout, c.fs)
}

// Run prints the audit, oldest first, of one member or of all.
func (c *AnchorAuditCommand) Run(ctx context.Context, args []string) error {
	// One optional argument: parseFlags wants an exact count.
	err := parseFlags(c.fs, args, c.Usage, 0)
	var ue *usageError
	if errors.As(err, &ue) && c.fs.NArg() == 1 {
		err = nil
	}
	if err != nil {
		return err
	}
	if c.db == "" {
		return usageErrorf("network anchor audit: --db is required")
	}
	db, err := anchor.Open(ctx, c.db)
	if err != nil {
		return err
	}
	defer db.Close()
	entries, err := (&anchor.Anchor{DB: db}).Audit(ctx, c.fs.Arg(0))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tBY\tACTION\tENTITY ID\tREASON\tDETAIL")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Actor, e.Action, e.EntityID, e.Reason, e.Detail)
	}
	return tw.Flush()
}
