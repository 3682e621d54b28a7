// SPDX-License-Identifier: Apache-2.0

package anchor

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/omadata/omadata/internal/sqlite"
)

// schema is the anchor's own small database: its settings, its members
// and the audit of every change. It is not the operator's database and
// has no migrations: Open runs these statements when a table or column
// is missing (schemaReady), so that a second process (an admin command
// beside the serving anchor) only reads the schema.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS anchor_settings (
		name  TEXT PRIMARY KEY,
		value TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS anchor_members (
		entity_id        TEXT PRIMARY KEY,
		status           TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'removed')),
		name             TEXT NOT NULL DEFAULT '{}',
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
	// The anchor as a witness (docs/witnessing.md §2): the members' logs
	// it witnesses, with the latest checkpoint it cosigned of each, and
	// the evidence of every fork it saw (§4).
	`CREATE TABLE IF NOT EXISTS anchor_witness_logs (
		origin       TEXT PRIMARY KEY,
		entity_id    TEXT NOT NULL,
		verifier_key TEXT NOT NULL,
		size         BIGINT NOT NULL DEFAULT 0,
		root_hash    TEXT NOT NULL DEFAULT '',
		checkpoint   TEXT NOT NULL DEFAULT '',
		forked       INTEGER NOT NULL DEFAULT 0,
		cosigned_at  TEXT NOT NULL DEFAULT '',
		updated_at   TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS anchor_witness_forks (
		id          TEXT PRIMARY KEY,
		origin      TEXT NOT NULL,
		seen        TEXT NOT NULL,
		known       TEXT NOT NULL,
		conflicting TEXT NOT NULL,
		proof       TEXT NOT NULL,
		detected_at TEXT NOT NULL,
		resolved_at TEXT NOT NULL DEFAULT '',
		resolved_by TEXT NOT NULL DEFAULT '',
		resolution  TEXT NOT NULL DEFAULT '',
		reason      TEXT NOT NULL DEFAULT ''
	)`,
}

// addName adds the member's recorded name to a database made before it
// (network.md §2.2).
const addName = `ALTER TABLE anchor_members ADD COLUMN name TEXT NOT NULL DEFAULT '{}'`

// probes read every table and the newest column; all succeed once the
// schema is complete.
var probes = []string{
	`SELECT name, value FROM anchor_settings WHERE 1 = 0`,
	`SELECT entity_id, name FROM anchor_members WHERE 1 = 0`,
	`SELECT id FROM anchor_audit WHERE 1 = 0`,
	`SELECT origin, forked FROM anchor_witness_logs WHERE 1 = 0`,
	`SELECT id, resolution FROM anchor_witness_forks WHERE 1 = 0`,
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
		// SQLite says only "unable to open database file (14)" for a
		// missing directory, e.g. a relative path given from another
		// working directory than serve's.
		if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("anchor database %s: its directory %s does not exist (give the path serve uses)", path, filepath.Dir(path))
		}
		// The path as a URI path (a "#" or "%" in it is no fragment or
		// escape); busy_timeout first, so that the pragmas after it wait
		// for a concurrent writer instead of failing.
		u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath()}
		d.db, err = sqlite.Open(u.String(), "busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)")
		if err == nil {
			// One connection: writers queue in Go instead of meeting
			// SQLITE_BUSY; the anchor's load is a few requests a minute.
			d.db.SetMaxOpenConns(1)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open anchor database: %w", err)
	}
	if err := d.createSchema(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("create anchor schema: %w", err)
	}
	return d, nil
}

// schemaReady reports whether every table and column exists: reads only.
func (d *DB) schemaReady(ctx context.Context) bool {
	for _, q := range probes {
		rows, err := d.db.QueryContext(ctx, q)
		if err != nil {
			return false
		}
		rows.Close()
	}
	return true
}

// createSchema creates what is missing. Another process may do the same
// at once (CREATE … IF NOT EXISTS; a failed attempt is retried once the
// other has finished).
func (d *DB) createSchema(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if d.schemaReady(ctx) {
			return nil
		}
		if err = d.runSchema(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		}
	}
	return err
}

func (d *DB) runSchema(ctx context.Context) error {
	for _, q := range schema {
		if _, err := d.db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if rows, err := d.db.QueryContext(ctx, probes[1]); err == nil {
		rows.Close()
		return nil
	}
	_, err := d.db.ExecContext(ctx, addName)
	return err
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
