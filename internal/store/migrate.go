// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies every embedded migration of the engine's dialect that has
// not run yet, each in its own transaction, and returns the names applied.
// Processes that migrate one database at once take turns: on PostgreSQL
// each waits for a session advisory lock, held from before schema_migrations
// is created until the last migration; on SQLite each migration's
// transaction holds the write lock (BEGIN IMMEDIATE) from its check of
// schema_migrations to its commit.
//
// A database that a newer version has migrated (it has migrations this
// version does not know) is left as it is: migrations only expand a schema
// (docs/store.md, "Migrations: expand, then contract"), so this version
// runs on it unchanged. If such a database lacks a migration this version
// knows, the two versions' histories diverged: Migrate applies nothing and
// returns an error naming both, an ErrSchemaDiverged.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	unlock, err := db.lockMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("wait for other migrators: %w", err)
	}
	defer unlock()
	if err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	pending, unknown, err := db.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	} else if len(unknown) > 0 {
		return nil, diverged(pending, unknown)
	}
	dir := "migrations/" + db.d.name()
	names, err := db.migrationFiles()
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, name := range names {
		ok, err := db.migrateFile(ctx, name)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", name, err)
		} else if ok {
			applied = append(applied, name[len(dir)+1:])
		}
	}
	return applied, nil
}

// ErrSchemaDiverged is the error of a database that a newer version
// migrated but that lacks a migration this version knows.
var ErrSchemaDiverged = errors.New("the database's migrations and this version's have diverged")

// diverged is nil when a database newer than this version (it has unknown
// migrations) has every migration this version knows, else an
// ErrSchemaDiverged naming what is missing.
func diverged(pending, unknown []string) error {
	if len(pending) == 0 {
		return nil
	}
	return fmt.Errorf("%w: it has %s, which this version does not know, but lacks %s, which this version needs; run the version that migrated it",
		ErrSchemaDiverged, strings.Join(unknown, ", "), strings.Join(pending, ", "))
}

func (db *DB) migrateFile(ctx context.Context, path string) (bool, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	name := path[len("migrations/")+len(db.d.name())+1:]
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return false, err
	} else if n > 0 {
		return false, nil
	}
	buf, err := fs.ReadFile(migrations, path)
	if err != nil {
		return false, err
	}
	if err := tx.execScript(ctx, string(buf)); err != nil {
		return false, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, tx.now.Format(timeFormat)); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// lockMigrations takes the dialect's lock that serialises migrators across
// processes, on a connection of its own kept until unlock. The lock is a
// session lock, not a transaction's: CREATE TABLE IF NOT EXISTS of
// schema_migrations races in PostgreSQL's catalogue (a duplicate key in
// pg_type) unless it too runs under the lock.
func (db *DB) lockMigrations(ctx context.Context) (unlock func(), err error) {
	lock, release := db.d.lockMigrations()
	if lock == "" {
		return func() {}, nil
	}
	c, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, lock); err != nil {
		c.Close()
		return nil, err
	}
	return func() {
		// Unlock even when ctx has ended; closing the connection would
		// release the lock too, but the pool may keep it open.
		c.ExecContext(context.WithoutCancel(ctx), release)
		c.Close()
	}, nil
}

// migrationFiles returns the paths of the dialect's embedded migrations, in order.
func (db *DB) migrationFiles() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/"+db.d.name()+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// PendingMigrations returns the names of the embedded migrations that have
// not been applied, in order: none when the schema is current. /readyz
// asks it, so that an instance of a newer version waits for its migration.
func (db *DB) PendingMigrations(ctx context.Context) ([]string, error) {
	pending, _, err := db.MigrationStatus(ctx)
	return pending, err
}

// MigrationStatus compares the database's applied migrations with this
// version's: pending are this version's not applied, unknown the applied
// ones this version does not know (a newer version applied them), each in
// order. A newer schema (unknown, none pending) serves this version as it
// is; one with both is an ErrSchemaDiverged, which CheckSchema returns.
func (db *DB) MigrationStatus(ctx context.Context) (pending, unknown []string, err error) {
	paths, err := db.migrationFiles()
	if err != nil {
		return nil, nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	known := map[string]bool{}
	for _, p := range paths {
		known[path.Base(p)] = true
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, nil, err
		}
		applied[name] = true
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, p := range paths {
		if name := path.Base(p); !applied[name] {
			pending = append(pending, name)
		}
	}
	return pending, unknown, nil
}

// CheckSchema says whether this version may serve on the database: nil
// when the schema is current or newer (only unknown migrations), an
// ErrSchemaDiverged when it is newer but lacks one this version knows. A
// schema that is merely behind is no error here: /readyz waits for it.
func (db *DB) CheckSchema(ctx context.Context) (unknown []string, err error) {
	pending, unknown, err := db.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	} else if len(unknown) > 0 {
		return unknown, diverged(pending, unknown)
	}
	return nil, nil
}
