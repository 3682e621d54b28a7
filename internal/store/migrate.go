// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies every embedded migration of the engine's dialect that has
// not run yet, each in its own transaction, and returns the names applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	if err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	dir := "migrations/" + db.d.name()
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
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

func (db *DB) migrateFile(ctx context.Context, path string) (bool, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if lock := db.d.lockMigrations(); lock != "" {
		if _, err := tx.exec(ctx, lock); err != nil {
			return false, err
		}
	}
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
