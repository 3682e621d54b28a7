// SPDX-License-Identifier: Apache-2.0

package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/sqlite"
)

func open(t *testing.T, path string, pragmas ...string) *sql.DB {
	t.Helper()
	db, err := sqlite.Open("file:"+path, pragmas...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestOpenPragmas: every connection of a pool runs the pragmas it was
// opened with, whichever the driver (mattn reads none of them from the
// URI).
func TestOpenPragmas(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "p.db"), "busy_timeout(7000)", "journal_mode(WAL)", "foreign_keys(1)",
		"synchronous(FULL)", "temp_store(MEMORY)", "cache_size(-4096)", "query_only(1)")
	db.SetMaxOpenConns(2)
	ctx := context.Background()
	// Two connections at once, so that the second is a new one.
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for i, c := range []*sql.Conn{c1, c2} {
		for pragma, want := range map[string]string{
			"busy_timeout": "7000", "journal_mode": "wal", "foreign_keys": "1", "synchronous": "2",
			"temp_store": "2", "cache_size": "-4096", "query_only": "1",
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("connection %d: %s: %v", i, pragma, err)
			}
			if got != want {
				t.Errorf("connection %d: %s = %s, want %s", i, pragma, got, want)
			}
		}
	}
}

// TestCode: SQLite's extended result codes come out of the driver's
// errors the same way on every driver.
func TestCode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db := open(t, path, "busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)")
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE parent (id TEXT PRIMARY KEY, name TEXT UNIQUE, n INTEGER CHECK (n > 0))`,
		`CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parent (id))`,
		`CREATE TRIGGER parent_keep BEFORE DELETE ON parent BEGIN SELECT RAISE(ABORT, 'parent rows are kept'); END`,
		`INSERT INTO parent (id, name, n) VALUES ('a', 'x', 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, c := range []struct {
		name, query string
		want        int
	}{
		{"unique", `INSERT INTO parent (id, name, n) VALUES ('b', 'x', 1)`, sqlite.ConstraintUnique},
		{"primary key", `INSERT INTO parent (id, name, n) VALUES ('a', 'y', 1)`, sqlite.ConstraintPrimaryKey},
		{"check", `INSERT INTO parent (id, name, n) VALUES ('c', 'z', 0)`, sqlite.ConstraintCheck},
		{"foreign key", `INSERT INTO child (id, parent_id) VALUES ('k', 'nobody')`, sqlite.ConstraintForeignKey},
		{"trigger", `DELETE FROM parent WHERE id = 'a'`, sqlite.ConstraintTrigger},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := db.ExecContext(ctx, c.query)
			if got, ok := sqlite.Code(err); !ok || got != c.want {
				t.Errorf("got code %d (%t) of %v, want %d", got, ok, err, c.want)
			}
		})
	}
	t.Run("busy", func(t *testing.T) {
		// A second pool that does not wait meets the first one's write lock.
		other := open(t, path, "busy_timeout(0)")
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "ROLLBACK")
		_, err = other.ExecContext(ctx, `INSERT INTO parent (id, name, n) VALUES ('d', 'w', 1)`)
		if got, ok := sqlite.Code(err); !ok || got != sqlite.Busy {
			t.Errorf("got code %d (%t) of %v, want %d", got, ok, err, sqlite.Busy)
		}
	})
	if _, ok := sqlite.Code(sql.ErrNoRows); ok {
		t.Error("sql.ErrNoRows has a SQLite code")
	}
}

// TestVersion: the driver of the build is named, with its module version
// where the binary recorded one (a test binary records none).
func TestVersion(t *testing.T) {
	if got := sqlite.Version(); got != sqlite.Driver && !strings.HasPrefix(got, sqlite.Driver+" v") {
		t.Errorf("got %q, want %s v…", got, sqlite.Driver)
	}
}

// TestValues: what each storage class scans into as any, and
// RowsAffected, are the same on every driver.
func TestValues(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "v.db"), "busy_timeout(10000)")
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE v (t TEXT, b BLOB, i INTEGER, r REAL, n TEXT)`); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := db.ExecContext(ctx, `INSERT INTO v (t, b, i, r, n) VALUES (?, ?, ?, ?, ?)`, "2026-12-07T07:00:00.000000Z", []byte{0, 1}, 7, 0.5, nil); err != nil {
			t.Fatal(err)
		}
	}
	var tv, bv, iv, rv, nv any
	if err := db.QueryRowContext(ctx, `SELECT t, b, i, r, n FROM v LIMIT 1`).Scan(&tv, &bv, &iv, &rv, &nv); err != nil {
		t.Fatal(err)
	}
	if s, ok := tv.(string); !ok || s != "2026-12-07T07:00:00.000000Z" {
		t.Errorf("TEXT: got %T %v", tv, tv)
	}
	if b, ok := bv.([]byte); !ok || len(b) != 2 || b[1] != 1 {
		t.Errorf("BLOB: got %T %v", bv, bv)
	}
	if i, ok := iv.(int64); !ok || i != 7 {
		t.Errorf("INTEGER: got %T %v", iv, iv)
	}
	if r, ok := rv.(float64); !ok || r != 0.5 {
		t.Errorf("REAL: got %T %v", rv, rv)
	}
	if nv != nil {
		t.Errorf("NULL: got %T %v", nv, nv)
	}
	// Text that reads as RFC 3339, from an expression (no declared type).
	var ev any
	if err := db.QueryRowContext(ctx, `SELECT max('2026-12-07T07:00:00.123457Z', t) FROM v`).Scan(&ev); err != nil {
		t.Fatal(err)
	}
	if s, ok := ev.(string); !ok || s != "2026-12-07T07:00:00.123457Z" {
		t.Errorf("time-like text of an expression: got %T %v", ev, ev)
	}
	res, err := db.ExecContext(ctx, `UPDATE v SET i = i + 1`)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 2 {
		t.Errorf("RowsAffected: got %d, %v, want 2", n, err)
	}
}

// TestLargeValue: a connection may use more than 256 MiB of memory (the
// bench loader's page cache is 256 MiB); ncruces limits each connection to
// 256 MiB unless told otherwise, and panics when SQLite runs out.
func TestLargeValue(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 300 MiB")
	}
	db := open(t, filepath.Join(t.TempDir(), "l.db"), "busy_timeout(10000)")
	const n = 300 << 20
	var got int64
	if err := db.QueryRowContext(context.Background(), `SELECT length(substr(zeroblob(?), 1))`, n).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Errorf("got a blob of %d bytes, want %d", got, n)
	}
}
