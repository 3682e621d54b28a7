// SPDX-License-Identifier: Apache-2.0

package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/sqlite"
)

// dialect holds every difference between the engines.
type dialect interface {
	name() string
	rebind(query string) string            // "?" placeholders to the engine's form
	args(args []any) []any                 // Go values to the engine's column types
	mapError(err error) error              // constraint violations to ECONFLICT
	lockMigrations() (lock, unlock string) // session lock serialising migrators across processes, or ""
	skipLocked() string                    // suffix of a SELECT that claims rows, or "" where writers are serial anyway
	forUpdate() string                     // suffix of a SELECT that locks the rows it reads, or "" where writers are serial anyway
	snapshot() *sql.TxOptions              // a read-only transaction whose statements all see one snapshot
	hourOf(column string) string           // a time column's UTC hour as text, "2006-01-02T15"
	jsonText(column, key string) string    // a JSON text column's top-level member key as text (NULL without it); key is a Go constant
}

// timeFormat is fixed width so that SQLite text times sort as times.
const timeFormat = "2006-01-02T15:04:05.000000Z"

type sqliteDialect struct{}

func (sqliteDialect) name() string                     { return "sqlite" }
func (sqliteDialect) rebind(q string) string           { return q }
func (sqliteDialect) lockMigrations() (string, string) { return "", "" }

// SQLite has one writer at a time (BEGIN IMMEDIATE), so a claim in a
// write transaction cannot race another.
func (sqliteDialect) skipLocked() string { return "" }
func (sqliteDialect) forUpdate() string  { return "" }

// A SQLite read transaction sees one snapshot from its first read on.
func (sqliteDialect) snapshot() *sql.TxOptions { return &sql.TxOptions{ReadOnly: true} }

// Times are stored as fixed-width UTC text (timeFormat).
func (sqliteDialect) hourOf(column string) string { return "substr(" + column + ", 1, 13)" }

func (sqliteDialect) jsonText(column, key string) string {
	return "json_extract(" + column + ", '$." + key + "')"
}

func (sqliteDialect) args(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UTC().Format(timeFormat)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = v.UTC().Format(timeFormat)
			}
		}
	}
	return args
}

func (sqliteDialect) mapError(err error) error {
	// By result code, the same on every driver (internal/sqlite).
	if code, ok := sqlite.Code(err); ok {
		switch code {
		case sqlite.ConstraintUnique, sqlite.ConstraintPrimaryKey:
			return &omadata.Error{Code: omadata.ECONFLICT, Message: "A record with the same key already exists."}
		case sqlite.ConstraintForeignKey:
			return &omadata.Error{Code: omadata.EINVALID, Message: "A referenced record does not exist."}
		}
	}
	return err
}

type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }
func (postgresDialect) lockMigrations() (string, string) {
	// One lock per schema, so that databases in other schemas (tests) do not wait.
	return "SELECT pg_advisory_lock(7283491, hashtext(coalesce(current_schema(), '')))",
		"SELECT pg_advisory_unlock(7283491, hashtext(coalesce(current_schema(), '')))"
}

// Concurrent claimers lock disjoint rows instead of waiting on each other
// and then taking the same ones.
func (postgresDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// A check across rows (the last operator admin) waits for a concurrent
// transaction that changes them, then reads them as it left them.
func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

func (postgresDialect) jsonText(column, key string) string {
	return "(" + column + "::jsonb ->> '" + key + "')"
}

func (postgresDialect) snapshot() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

func (postgresDialect) hourOf(column string) string {
	return "to_char(" + column + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')`
}

func (postgresDialect) rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (postgresDialect) args(args []any) []any {
	for i, a := range args {
		if v, ok := a.(*time.Time); ok && v == nil {
			args[i] = nil
		}
	}
	return args
}

func (postgresDialect) mapError(err error) error {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		switch e.Code {
		case "23505": // unique_violation
			return &omadata.Error{Code: omadata.ECONFLICT, Message: "A record with the same key already exists."}
		case "23503": // foreign_key_violation
			return &omadata.Error{Code: omadata.EINVALID, Message: "A referenced record does not exist."}
		}
	}
	return err
}

// Time scans a time stored as TIMESTAMPTZ or as RFC 3339 text.
type Time struct{ T *time.Time }

// Scan implements sql.Scanner.
func (t Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case time.Time:
		*t.T = v.UTC()
	case string:
		p, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return err
		}
		*t.T = p.UTC()
	case []byte:
		return t.Scan(string(v))
	default:
		return errors.New("store: cannot scan time")
	}
	return nil
}

// NullTime scans a nullable time into a *time.Time field.
type NullTime struct{ T **time.Time }

// Scan implements sql.Scanner.
func (t NullTime) Scan(src any) error {
	if src == nil {
		*t.T = nil
		return nil
	}
	var v time.Time
	if err := (Time{&v}).Scan(src); err != nil {
		return err
	}
	*t.T = &v
	return nil
}

var _ driver.Valuer = (*jsonValue)(nil)
