// SPDX-License-Identifier: Apache-2.0

//go:build sqlite_ncruces && !sqlite_mattn

package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"net/url"

	ncruces "github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
)

// Driver is the module of the SQLite driver in this build.
const Driver = "github.com/ncruces/go-sqlite3"

// maxMemory is what one connection's SQLite may allocate: the most its
// 32-bit address space holds. ncruces's own default, 256 MiB, is the bench
// loader's page cache alone, and on running out it panics inside
// database/sql, which then deadlocks; the memory is reserved as address
// space and committed only as SQLite grows into it, as with the other
// drivers' malloc.
const maxMemory = 1 << 32

// Open returns a pool on the database at uri ("file:<path>", no query),
// each of whose connections runs pragmas ("busy_timeout(10000)") first, in
// order. Without a _pragma the driver would set a busy timeout of a
// minute; ours come first instead.
//
// With its default time format, ncruces hands back text that reads as RFC
// 3339 (a stored time with six significant fraction digits, from an
// expression such as max(created_at)) as a time.Time; with a layout of its
// own it leaves text alone, as the other drivers do. The layout is the
// store's fixed-width one, so that a time.Time bound as it is (the store
// formats times itself) is written in the same form.
func Open(uri string, pragmas ...string) (*sql.DB, error) {
	dsn := pragmaDSN(uri, pragmas)
	if len(pragmas) == 0 {
		dsn += "?"
	} else {
		dsn += "&"
	}
	c, err := (&driver.SQLite{}).OpenConnector(dsn + "_timefmt=" + url.QueryEscape("2006-01-02T15:04:05.000000Z07:00"))
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(ncrucesConnector{c}), nil
}

// ncrucesConnector opens connections that may use maxMemory.
type ncrucesConnector struct{ sqldriver.Connector }

func (c ncrucesConnector) Connect(ctx context.Context) (sqldriver.Conn, error) {
	return c.Connector.Connect(ncruces.WithMaxMemory(ctx, maxMemory))
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
