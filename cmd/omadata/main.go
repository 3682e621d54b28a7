// SPDX-License-Identifier: Apache-2.0

// Command omadata runs a MyData operator for cities: the consent and data
// catalogue service that lets residents see and control how city registers'
// personal data is used. Run "omadata -h" for its commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/omadata/omadata"
)

// version is the release version, set at build time with
// go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	m := NewMain()
	os.Exit(m.Exit(m.Run(context.Background(), os.Args[1:])))
}

// Main is the program: its output streams, its environment and, for tests,
// a hook that tells where serve listens.
type Main struct {
	Stdout, Stderr io.Writer
	// Stdin is where secrets typed by the operator come from (omadata
	// staff add reads an identity code); os.Stdin when nil.
	Stdin io.Reader
	// LookupEnv reads the OMADATA_* settings; os.LookupEnv by default.
	LookupEnv func(key string) (string, bool)
	// Ready, if set, is called once serve listens, with the bound address,
	// so that tests can run serve on 127.0.0.1:0.
	Ready func(addr net.Addr)
}

// NewMain returns a Main on the process's standard streams and environment.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, LookupEnv: os.LookupEnv}
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return newServeCommand(m).Run(ctx, args)
	case "migrate":
		return newMigrateCommand(m).Run(ctx, args)
	case "token":
		return newTokenCommand(m).Run(ctx, args)
	case "keys":
		return newKeysCommand(m).Run(ctx, args)
	case "staff":
		return newStaffCommand(m).Run(ctx, args)
	case "log":
		return newLogCommand(m).Run(ctx, args)
	case "backup":
		return newBackupCommand(m).Run(ctx, args)
	case "restore":
		return newRestoreCommand(m).Run(ctx, args)
	case "bench":
		return newBenchCommand(m).Run(ctx, args)
	case "network":
		return newNetworkCommand(m).Run(ctx, args)
	case "witness":
		return newWitnessCommand(m).Run(ctx, args)
	case "version":
		return newVersionCommand(m).Run(ctx, args)
	case "demo":
		return newDemoCommand(m).Run(ctx, args)
	case "help", "-h", "-help", "--help":
		m.Usage(m.Stdout)
		return flag.ErrHelp
	case "":
		m.Usage(m.Stderr)
		return usageErrorf("no command given")
	default:
		return usageErrorf("unknown command %q (run \"omadata -h\" for the list)", cmd)
	}
}

// Usage prints the list of commands.
func (m *Main) Usage(w io.Writer) {
	fmt.Fprint(w, strings.TrimLeft(`
omadata runs a MyData operator for cities.

Usage:

	omadata <command> [arguments]

The commands are:

	serve      run the operator: JSON API, public catalogue, health, metrics
	migrate    apply the database migrations
	token      create, list and revoke operator admin tokens
	keys       list and rotate the signing keys of receipts and grants
	staff      add, list and remove the staff of the admin console
	log        verify the transparency log
	backup     write a consistent copy of the database while it serves
	restore    restore a backup into a new database, checking its log and keys
	bench      measure the consent workloads on freshly loaded databases
	network    run a network's trust anchor and keep its members
	witness    add and remove the logs this operator witnesses; resolve forks
	demo       start a demo network of operators (demo network)
	version    print the version

Run "omadata <command> -h" for a command's flags. Settings come from a
--config file, OMADATA_* environment variables and flags; see
docs/configuration.md.
`, "\n"))
}

// Exit reports err on Stderr, once, and returns the process exit code:
// 0 for success or help, 2 for a usage error, 1 for anything else.
func (m *Main) Exit(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(m.Stderr, "omadata:", ue.msg)
		return 2
	}
	fmt.Fprintln(m.Stderr, "omadata:", errorText(err))
	return 1
}

// errorText is what the operator reads: the caller-safe message of an
// application error, with its field, or the whole error otherwise, since
// the operator may see internal detail such as a failed connection.
func errorText(err error) string {
	var e *omadata.Error
	if !errors.As(err, &e) {
		return err.Error()
	} else if f := omadata.ErrorField(err); f != "" {
		return f + ": " + omadata.ErrorMessage(err)
	}
	return omadata.ErrorMessage(err)
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseFlags parses args with fs. On -h it prints usage to stdout and
// returns flag.ErrHelp; a bad flag is a usage error. The flag package's own
// output is discarded so that main reports the error, once.
func parseFlags(fs *flag.FlagSet, args []string, usage func(), nargs int) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		usage()
		return flag.ErrHelp
	} else if err != nil {
		return usageErrorf("%s: %s (run \"omadata %s -h\" for usage)", fs.Name(), err.Error(), fs.Name())
	}
	if fs.NArg() != nargs {
		if fs.NArg() > nargs {
			return usageErrorf("%s: unexpected argument %q (run \"omadata %s -h\" for usage)", fs.Name(), fs.Arg(nargs), fs.Name())
		}
		return usageErrorf("%s: missing argument (run \"omadata %s -h\" for usage)", fs.Name(), fs.Name())
	}
	return nil
}

// printFlags prints fs's flags to w, for Usage.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
