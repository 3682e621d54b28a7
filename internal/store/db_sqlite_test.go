// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"testing"

	"github.com/omadata/omadata"
)

// TestSQLitePragmas: both pools run the pragmas durability and speed rest
// on, whichever driver the build has (internal/sqlite): FULL sync and WAL
// on the writer, query_only on the readers.
func TestSQLitePragmas(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	common := map[string]string{"busy_timeout": "10000", "journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "temp_store": "2"}
	check := func(pool string, q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}, want map[string]string) {
		t.Helper()
		for pragma, w := range want {
			var got string
			if err := q.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: %s: %v", pool, pragma, err)
			}
			if got != w {
				t.Errorf("%s: %s = %s, want %s", pool, pragma, got, w)
			}
		}
	}
	db.group.mu.Lock()
	check("writer", db.group.conn, common)
	check("writer", db.group.conn, map[string]string{"cache_size": "-65536", "query_only": "0"})
	db.group.mu.Unlock()
	check("reader", db.read, common)
	check("reader", db.read, map[string]string{"query_only": "1"})
}

// TestSQLiteErrorCodes: constraint violations become the same omadata
// errors on every driver.
func TestSQLiteErrorCodes(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	if err := db.Exec(ctx, `CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER NOT NULL REFERENCES t (id), u TEXT UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, `INSERT INTO t (id, v) VALUES (1, 'a')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, `INSERT INTO child (id, t_id, u) VALUES (1, 1, 'x')`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, query, want string }{
		{"primary key", `INSERT INTO t (id, v) VALUES (1, 'b')`, omadata.ECONFLICT},
		{"unique", `INSERT INTO child (id, t_id, u) VALUES (2, 1, 'x')`, omadata.ECONFLICT},
		{"foreign key", `INSERT INTO child (id, t_id, u) VALUES (3, 9, 'y')`, omadata.EINVALID},
		{"not null", `INSERT INTO t (id, v) VALUES (2, NULL)`, omadata.EINTERNAL},
	} {
		if got := omadata.ErrorCode(db.Exec(ctx, c.query)); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

// TestQueryStringsTimeText: QueryStrings gives a stored time's text as it
// is stored, also from an expression, where ncruces hands back a
// time.Time for text that reads as RFC 3339.
func TestQueryStringsTimeText(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	const at = "2026-12-07T07:00:00.123457Z"
	if err := db.Exec(ctx, `INSERT INTO t (id, v) VALUES (1, ?)`, at); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryStrings(ctx, `SELECT v, max(v) FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][0] != at || rows[0][1] != at {
		t.Errorf("got %q, want [[%s %s]]", rows, at, at)
	}
}
