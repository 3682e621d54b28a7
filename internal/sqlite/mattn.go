// SPDX-License-Identifier: Apache-2.0

//go:build sqlite_mattn && cgo

package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	mattn "github.com/mattn/go-sqlite3"
)

// Driver is the module of the SQLite driver in this build.
const Driver = "github.com/mattn/go-sqlite3"

// Open returns a pool on the database at uri ("file:<path>", no query),
// each of whose connections runs pragmas ("busy_timeout(10000)") first, in
// order. mattn reads only its own query parameters (_busy_timeout, …, and
// no temp_store), so the pragmas run as statements on each new connection.
func Open(uri string, pragmas ...string) (*sql.DB, error) {
	return sql.OpenDB(&mattnConnector{uri: uri, pragmas: pragmas}), nil
}

type mattnConnector struct {
	uri     string
	pragmas []string
	drv     mattn.SQLiteDriver
}

func (c *mattnConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.uri)
	if err != nil {
		return nil, err
	}
	for _, p := range c.pragmas {
		if _, err := conn.(*mattn.SQLiteConn).ExecContext(ctx, "PRAGMA "+p, nil); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

func (c *mattnConnector) Driver() driver.Driver { return &c.drv }

// Code returns SQLite's extended result code of err, and false when err
// does not come from SQLite.
func Code(err error) (int, bool) {
	var e mattn.Error
	if errors.As(err, &e) {
		return int(e.ExtendedCode), true
	}
	return 0, false
}
