// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// StaffCommand manages who may sign in to the admin console, working on
// the database directly. It is how a city makes its first operator admin;
// after that, operator admins manage the staff in the console too.
type StaffCommand struct {
	m *Main
}

func newStaffCommand(m *Main) *StaffCommand { return &StaffCommand{m: m} }

// Run runs the staff subcommand named by args[0].
func (c *StaffCommand) Run(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "staff", args, c.Usage, []subcommand{
		{"add", newStaffAddCommand(c.m).Run},
		{"list", newStaffListCommand(c.m).Run},
		{"remove", newStaffRemoveCommand(c.m).Run},
	})
}

// Usage prints the command's help.
func (c *StaffCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata staff <subcommand> [flags]

Manages the staff who may sign in to the admin console. A member signs in
with the city's OpenID provider and is recognised by their personal
identity code, which is stored only as a keyed hash.

The subcommands are:

	add --name NAME --role ROLE [--organisation ID]
	                      add a member, or change their name and role; the
	                      identity code is read from standard input
	list                  list the staff
	remove ID             take a member off the staff; their sessions end

Run "omadata staff <subcommand> -h" for a subcommand's flags.
`)
}

// openStaffStore opens an existing database with the keyring that finds
// staff by their identity code: the operator's secret key must be the one
// the server runs with (OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE, or
// the demo key of --demo). Unlike serve, it never creates a demo key: a
// member added under a new key could never sign in.
func openStaffStore(ctx context.Context, cfg Config) (*store.DB, *store.Store, context.Context, error) {
	if err := cfg.existingSecretKey(); err != nil {
		return nil, nil, nil, err
	}
	keyring, err := keys.NewKeyring(cfg.SecretKey)
	if err != nil {
		return nil, nil, nil, err
	}
	db, _, ctx, err := openTokenStore(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return db, store.New(db, store.WithKeyring(keyring)), cliAdmin(ctx), nil
}

// cliAdmin is the caller of the staff commands' changes: the audit records
// and log leaves name the command line as the actor.
func cliAdmin(ctx context.Context) context.Context {
	return omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "cli"})
}

// StaffAddCommand adds a member of staff or changes their role.
type StaffAddCommand struct {
	m                 *Main
	fs                *flag.FlagSet
	cf                *configFlags
	name, role, orgID string
}

func newStaffAddCommand(m *Main) *StaffAddCommand {
	c := &StaffAddCommand{m: m, fs: flag.NewFlagSet("staff add", flag.ContinueOnError)}
	c.fs.StringVar(&c.name, "name", "", "the member's name as the console shows it (required)")
	c.fs.StringVar(&c.role, "role", "", "operator_admin, organisation_admin or auditor (required)")
	c.fs.StringVar(&c.orgID, "organisation", "", "the organisation of an organisation_admin (org_…)")
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL", "OMADATA_DEMO")
	return c
}

// Run reads the identity code from the first line of standard input, so
// that it appears in no argument list or shell history, and adds the
// member.
func (c *StaffAddCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	} else if strings.TrimSpace(c.name) == "" || c.role == "" {
		return usageErrorf("staff add: --name and --role are required (run \"omadata staff add -h\" for usage)")
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	code, err := readIdentityCode(c.m)
	if err != nil {
		return err
	}
	db, s, ctx, err := openStaffStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := s.EnsureStaff(ctx, code, strings.TrimSpace(c.name), c.role, c.orgID)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "%s (%s) is on the staff as %s.\n", st.Name, st.ID, roleName(st))
	return nil
}

// readIdentityCode reads the first line of standard input, prompting on
// standard error when it is a terminal.
func readIdentityCode(m *Main) (string, error) {
	in := m.Stdin
	if in == nil {
		in = os.Stdin
	}
	if isTerminal(in) {
		fmt.Fprint(m.Stderr, "Personal identity code: ")
	}
	line, err := bufio.NewReader(io.LimitReader(in, 100)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	code := strings.TrimSpace(line)
	if code == "" {
		return "", usageErrorf("staff add: give the member's personal identity code on standard input")
	}
	// The store validates it; the error never echoes it.
	return code, nil
}

func roleName(st *omadata.Staff) string {
	if st.OrganisationID != "" {
		return st.Role + " of " + st.OrganisationID
	}
	return st.Role
}

// Usage prints the command's help.
func (c *StaffAddCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata staff add --name NAME --role ROLE [--organisation ID] [flags]

Adds a member of staff who may sign in to the admin console, or, for a
member who is already on the staff, changes their name and role. The
personal identity code is read from standard input (typed at the prompt,
or from a file), never from an argument, so that it stays out of process
lists and shell history:

	omadata staff add --name "Olli Ylläpitäjä" --role operator_admin < code.txt

Roles: operator_admin runs the operator; organisation_admin manages one
organisation's services (give --organisation); auditor, the operator's
data protection officer, reads everything and changes nothing but
approvals of processings on a basis other than consent. The last operator
admin cannot be given another role. Needs the operator's secret key
(OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE, or --demo for the demo key).
`)
	printFlags(c.m.Stdout, c.fs)
}

// StaffListCommand lists the staff.
type StaffListCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newStaffListCommand(m *Main) *StaffListCommand {
	c := &StaffListCommand{m: m, fs: flag.NewFlagSet("staff list", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run prints a table of the staff by name.
func (c *StaffListCommand) Run(ctx context.Context, args []string) error {
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
	list, err := s.FindStaff(ctx)
	if err != nil {
		return err
	} else if len(list) == 0 {
		fmt.Fprintln(c.m.Stdout, "Nobody is on the staff. Add the first operator admin with: omadata staff add --name NAME --role operator_admin")
		return nil
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tROLE\tORGANISATION\tSINCE")
	for _, st := range list {
		org := st.OrganisationID
		if org == "" {
			org = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", st.ID, st.Name, st.Role, org, st.CreatedAt.UTC().Format(time.RFC3339))
	}
	return w.Flush()
}

// Usage prints the command's help.
func (c *StaffListCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata staff list [flags]

Lists the staff who may sign in to the admin console, with their roles.
Identity codes are not stored and cannot be shown.
`)
	printFlags(c.m.Stdout, c.fs)
}

// StaffRemoveCommand takes a member off the staff.
type StaffRemoveCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newStaffRemoveCommand(m *Main) *StaffRemoveCommand {
	c := &StaffRemoveCommand{m: m, fs: flag.NewFlagSet("staff remove", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run removes the member whose ID is the one argument.
func (c *StaffRemoveCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 1); err != nil {
		return err
	}
	id := c.fs.Arg(0)
	if !omadata.ValidID("stf", id) {
		return usageErrorf("staff remove: %q is not a staff ID; they look like stf_… (see omadata staff list)", id)
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
	st, err := s.RemoveStaff(cliAdmin(ctx), id)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "Removed %s (%s) from the staff; their console sessions have ended.\n", st.Name, st.ID)
	return nil
}

// Usage prints the command's help.
func (c *StaffRemoveCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata staff remove ID [flags]

Takes a member off the staff: they can no longer sign in to the admin
console, and their sessions end at once. The last operator admin cannot be
removed; add another one first.
`)
	printFlags(c.m.Stdout, c.fs)
}
