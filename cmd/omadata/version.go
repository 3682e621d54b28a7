// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/omadata/omadata/internal/sqlite"
)

// VersionCommand prints the version.
type VersionCommand struct {
	m  *Main
	fs *flag.FlagSet
}

func newVersionCommand(m *Main) *VersionCommand {
	return &VersionCommand{m: m, fs: flag.NewFlagSet("version", flag.ContinueOnError)}
}

// Run prints the version, the Go version, the VCS revision if known and
// the SQLite driver.
func (c *VersionCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	fmt.Fprintln(c.m.Stdout, versionLine())
	return nil
}

// Usage prints the command's help.
func (c *VersionCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata version

Prints the omadata version, the Go version it was built with, when the
build recorded it the source revision, and the SQLite driver built in
(build tags sqlite_ncruces, sqlite_mattn; docs/performance.md).
`)
}

// Version returns the release version: the one set with -ldflags, else the
// module version "go install" recorded, else "dev".
func Version() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func versionLine() string {
	parts := []string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "+dirty"
			}
			parts = append(parts, "revision "+rev)
		}
	}
	parts = append(parts, "SQLite driver "+sqlite.Version())
	return fmt.Sprintf("omadata %s (%s)", Version(), strings.Join(parts, ", "))
}
