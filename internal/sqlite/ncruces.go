// SPDX-License-Identifier: Apache-2.0

//go:build sqlite_ncruces && !sqlite_mattn

package sqlite

import (
	"database/sql"
	"errors"

	ncruces "github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/driver" // registers the "sqlite3" database/sql driver
)

// Driver is the module of the SQLite driver in this build.
const Driver = "github.com/ncruces/go-sqlite3"

// Open returns a pool on the database at uri ("file:<path>", no query),
// each of whose connections runs pragmas ("busy_timeout(10000)") first, in
// order. Without a _pragma the driver would set a busy timeout of a
// minute; ours come first instead.
func Open(uri string, pragmas ...string) (*sql.DB, error) {
	return sql.Open("sqlite3", pragmaDSN(uri, pragmas))
}

// Code returns SQLite's extended result code of err, and false when err
// does not come from SQLite. ncruces returns an *Error, or a bare code
// (BUSY when a transaction cannot start); both convert.
func Code(err error) (int, bool) {
	var c ncruces.ExtendedErrorCode
	if errors.As(err, &c) {
		return int(c), true
	}
	return 0, false
}
