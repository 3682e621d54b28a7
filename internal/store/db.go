// SPDX-License-Identifier: Apache-2.0

// Package store is the one database/sql implementation of omadata's services,
// on SQLite and PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// DB is an open omadata database.
type DB struct {
	read  *sql.DB // reads outside transactions
	write *sql.DB // every transaction; one connection on SQLite
	d     dialect

	// Now returns the current time; tests replace it to fix the clock.
	Now func() time.Time
}

// Open opens the database named by rawURL: "sqlite:<path>" (or a plain
// path, or "file:<path>") for SQLite, "postgres://…" for PostgreSQL.
// It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	db := &DB{Now: time.Now}
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		pool, err := sql.Open("pgx", rawURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(20)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.read, db.write, db.d = pool, pool, postgresDialect{}
	case strings.HasPrefix(rawURL, "postgres"), strings.Contains(rawURL, "://"), strings.Contains(rawURL, "="):
		// Never echo the value: a mistyped PostgreSQL URL may hold a password.
		return nil, fmt.Errorf("database URL: want postgres://… or sqlite:<path>")
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "file:")
		if path == "" || strings.Contains(path, "?") {
			return nil, fmt.Errorf("database URL: want sqlite:<path>, without query parameters")
		}
		// busy_timeout comes first so that the pragmas after it, which may
		// need a lock, wait instead of failing. WAL lets readers run beside
		// the writer; foreign keys are off by default in SQLite; NORMAL
		// sync under WAL is durable at commit except on power loss.
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer connection: writers queue in Go instead of failing
		// with SQLITE_BUSY, so no retry loop is needed.
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		r.SetMaxOpenConns(4)
		db.read, db.write, db.d = r, w, sqliteDialect{}
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Engine returns "sqlite" or "postgres".
func (db *DB) Engine() string { return db.d.name() }

// Ping checks that the database answers; /healthz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Tx is a write transaction with one timestamp for every row it writes.
type Tx struct {
	tx  *sql.Tx
	d   dialect
	now time.Time
}

// begin starts a write transaction.
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &Tx{tx: tx, d: db.d, now: db.Now().UTC().Truncate(time.Microsecond)}, nil
}

func (tx *Tx) Commit() error {
	if err := tx.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", tx.d.mapError(err))
	}
	return nil
}

func (tx *Tx) Rollback() error { return tx.tx.Rollback() }

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := tx.tx.ExecContext(ctx, tx.d.rebind(query), tx.d.args(args)...)
	return res, tx.d.mapError(err)
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, tx.d.rebind(query), tx.d.args(args)...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, tx.d.rebind(query), tx.d.args(args)...)
}

// querier is what read helpers need: a Tx or the read pool.
type querier interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// reader runs queries on the read pool.
type reader struct {
	db *sql.DB
	d  dialect
}

func (db *DB) reader() reader { return reader{db.read, db.d} }

func (r reader) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.db.QueryContext(ctx, r.d.rebind(query), r.d.args(args)...)
}

func (r reader) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return r.db.QueryRowContext(ctx, r.d.rebind(query), r.d.args(args)...)
}

// SafeURL returns the database URL without its password, for logs.
func SafeURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Exec runs one statement in its own write transaction. Operations tooling
// and tests use it; services go through their own methods.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, query, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// QueryStrings runs a read query and returns every row with each column
// as text. Tests use it to look at what is really stored.
func (db *DB) QueryStrings(ctx context.Context, query string, args ...any) ([][]string, error) {
	rows, err := db.reader().query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch v := v.(type) {
			case []byte:
				row[i] = string(v)
			case nil:
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
