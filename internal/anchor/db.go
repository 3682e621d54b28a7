// SPDX-License-Identifier: Apache-2.0

package anchor

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// schema is the anchor's own small database: its settings, its members
// and the audit of every change. It is not the operator's database and
// has no migrations: these statements run on every start.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS anchor_settings (
		name  TEXT PRIMARY KEY,
		value TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS anchor_members (
		entity_id        TEXT PRIMARY KEY,
		status           TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'removed')),
		jwks             TEXT NOT NULL,
		network_endpoint TEXT NOT NULL,
		admitted_at      TEXT NOT NULL,
		updated_at       TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS anchor_audit (
		id        TEXT PRIMARY KEY,
		at        TEXT NOT NULL,
		actor     TEXT NOT NULL,
		action    TEXT NOT NULL,
		entity_id TEXT NOT NULL,
		reason    TEXT NOT NULL,
		detail    TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS anchor_audit_entity ON anchor_audit (entity_id, at)`,
}

// DB is the anchor's database: a SQLite file or PostgreSQL.
type DB struct {
	db       *sql.DB
	postgres bool
}

// Open opens (and creates the schema of) the anchor's database:
// "postgres://…" for PostgreSQL, "sqlite:<path>" or a plain path for
// SQLite.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	d := &DB{}
	var err error
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		d.db, err = sql.Open("pgx", rawURL)
		d.postgres = true
	case strings.Contains(rawURL, "://"), strings.Contains(rawURL, "?"), rawURL == "", rawURL == "sqlite:":
		// Never echo the value: a mistyped PostgreSQL URL may hold a password.
		return nil, fmt.Errorf("anchor database: want postgres://… or sqlite:<path>")
	default:
		path := strings.TrimPrefix(rawURL, "sqlite:")
		d.db, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
		if err == nil {
			// One connection: writers queue in Go instead of meeting
			// SQLITE_BUSY; the anchor's load is a few requests a minute.
			d.db.SetMaxOpenConns(1)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open anchor database: %w", err)
	}
	for _, q := range schema {
		if _, err := d.db.ExecContext(ctx, q); err != nil {
			d.db.Close()
			return nil, fmt.Errorf("create anchor schema: %w", err)
		}
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

func (d *DB) rebind(q string) string {
	if !d.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (d *DB) begin(ctx context.Context) (*tx, error) {
	t, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &tx{t, d}, nil
}

type tx struct {
	*sql.Tx
	d *DB
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.ExecContext(ctx, t.d.rebind(q), args...)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.QueryRowContext(ctx, t.d.rebind(q), args...)
}

func (d *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.db.QueryContext(ctx, d.rebind(q), args...)
}

func (d *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return d.db.QueryRowContext(ctx, d.rebind(q), args...)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
