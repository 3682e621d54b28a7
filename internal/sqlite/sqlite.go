// SPDX-License-Identifier: Apache-2.0

// Package sqlite is omadata's one door to a SQLite driver, chosen when
// building: modernc.org/sqlite by default (pure Go, so a machine with Go
// alone builds omadata), github.com/ncruces/go-sqlite3 with the build tag
// sqlite_ncruces (also pure Go), github.com/mattn/go-sqlite3 with
// sqlite_mattn (cgo; a reference for measurements). One file per driver
// says what differs: how a connection is opened with our pragmas and how
// an error gives SQLite's result code. Everything above it (the store, the
// anchor, the bench loader) sees the same database/sql pool, values and
// codes whatever the driver.
package sqlite

import (
	"runtime/debug"
	"strings"
)

// Extended result codes of SQLite (https://sqlite.org/rescode.html) that
// callers tell apart.
const (
	Busy                 = 5    // SQLITE_BUSY: another connection holds the lock past busy_timeout
	ConstraintCheck      = 275  // SQLITE_CONSTRAINT_CHECK
	ConstraintForeignKey = 787  // SQLITE_CONSTRAINT_FOREIGNKEY
	ConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	ConstraintTrigger    = 1811 // SQLITE_CONSTRAINT_TRIGGER: RAISE(ABORT, …) in a trigger
	ConstraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
)

// Version names the driver of this build and its module version, as
// "modernc.org/sqlite v1.61.1" (without a version when the binary
// recorded none).
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == Driver {
				if m.Replace != nil {
					m = m.Replace
				}
				return Driver + " " + m.Version
			}
		}
	}
	return Driver
}

// pragmaDSN returns uri with each pragma as a _pragma query parameter, in
// order: the form modernc and ncruces both read.
func pragmaDSN(uri string, pragmas []string) string {
	if len(pragmas) == 0 {
		return uri
	}
	return uri + "?_pragma=" + strings.Join(pragmas, "&_pragma=")
}
