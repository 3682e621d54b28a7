// SPDX-License-Identifier: Apache-2.0

//go:build !sqlite_ncruces && !sqlite_mattn

package sqlite

import (
	"database/sql"
	"errors"

	modernc "modernc.org/sqlite"
)

// Driver is the module of the SQLite driver in this build.
const Driver = "modernc.org/sqlite"

// Open returns a pool on the database at uri ("file:<path>", no query),
// each of whose connections runs pragmas ("busy_timeout(10000)") first, in
// order.
func Open(uri string, pragmas ...string) (*sql.DB, error) {
	return sql.Open("sqlite", pragmaDSN(uri, pragmas))
}

// Code returns SQLite's extended result code of err, and false when err
// does not come from SQLite.
func Code(err error) (int, bool) {
	var e *modernc.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}
