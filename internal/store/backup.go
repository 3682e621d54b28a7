// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/omadata/omadata/internal/sqlite"
)

// SchemaVersion returns the name of the last migration applied, such as
// "025_witness.sql": what a backup's manifest records.
func (db *DB) SchemaVersion(ctx context.Context) (string, error) {
	var name sql.NullString
	if err := db.reader().queryRow(ctx, `SELECT MAX(name) FROM schema_migrations`).Scan(&name); err != nil {
		return "", fmt.Errorf("read schema version: %w", err)
	}
	if !name.Valid {
		return "", errors.New("read schema version: no migration applied")
	}
	return name.String, nil
}

// BackupInto writes a consistent copy of a SQLite database to path, a file
// that must not exist, with VACUUM INTO. It runs in one read transaction,
// so under WAL it sees one snapshot and blocks no writer, also of other
// processes; the copy is compact and has no WAL of its own. SQLite does
// not sync the file it writes, so BackupInto does before it returns.
func (db *DB) BackupInto(ctx context.Context, path string) error {
	if db.d.name() != "sqlite" {
		return errors.New("backup into a file: the database is not SQLite")
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup into %s: the file exists", path)
	}
	// A connection of its own: the read pool's are query_only, and the
	// write pool's one connection belongs to group commit.
	c, err := sqlite.Open("file:"+strings.TrimPrefix(strings.TrimPrefix(db.url, "sqlite:"), "file:"), "busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("vacuum into %s: %w", path, err)
	}
	if err := syncFile(path); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// syncFile flushes the file at path and its directory entry to disk.
func syncFile(path string) error {
	for _, p := range []string{path, filepath.Dir(path)} {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
	}
	return nil
}

// Objects returns how many tables, sequences, views and functions the
// database holds: on SQLite in the file, on PostgreSQL in its current
// schema (the first of the URL's search_path). A restore goes only into a
// database where it is 0.
func (db *DB) Objects(ctx context.Context) (int, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'`
	if db.d.name() == "postgres" {
		q = `SELECT (SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))
			+ (SELECT COUNT(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema())`
	}
	var n int
	if err := db.reader().queryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the database's objects: %w", err)
	}
	return n, nil
}

// DropObjects drops every table, sequence, view and function of a
// PostgreSQL database's current schema, in one transaction: it undoes a
// restore refused after pg_restore, into a schema that was empty before.
func (db *DB) DropObjects(ctx context.Context) error {
	if db.d.name() != "postgres" {
		return errors.New("drop objects: the database is not PostgreSQL")
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var stmts []string
	for _, q := range []string{
		`SELECT format('DROP VIEW IF EXISTS %I.%I CASCADE', schemaname, viewname) FROM pg_views WHERE schemaname = current_schema()`,
		`SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE', schemaname, tablename) FROM pg_tables WHERE schemaname = current_schema()`,
		`SELECT format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', schemaname, sequencename) FROM pg_sequences WHERE schemaname = current_schema()`,
		`SELECT format('DROP FUNCTION IF EXISTS %I.%I(%s) CASCADE', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
			FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()`,
	} {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("list objects: %w", err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			stmts = append(stmts, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return tx.Commit()
}
