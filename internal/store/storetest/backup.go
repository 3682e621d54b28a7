// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testBackupSchemaVersion: the schema version is the last migration
// applied, and follows schema_migrations.
func testBackupSchemaVersion(t *testing.T, s *store.Store) {
	ctx := context.Background()
	names := queryStrings(t, s, `SELECT name FROM schema_migrations ORDER BY name DESC`)
	if got := must[string](t)(s.DB().SchemaVersion(ctx)); got != names[0] || len(names) < 20 {
		t.Fatalf("got %q, want the last of %d migrations, %q", got, len(names), names[0])
	}
	ok(t, s.DB().Exec(ctx, `DELETE FROM schema_migrations WHERE name = ?`, names[0]))
	if got := must[string](t)(s.DB().SchemaVersion(ctx)); got != names[1] {
		t.Fatalf("got %q, want %q", got, names[1])
	}
}

// testBackupInto: a SQLite backup is a database of its own with what was
// committed, and never overwrites a file.
func testBackupInto(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if s.DB().Engine() != "sqlite" {
		if err := s.DB().BackupInto(ctx, filepath.Join(t.TempDir(), "copy.db")); err == nil {
			t.Fatal("a PostgreSQL database backed up into a file, want an error (pg_dump does that)")
		}
		return
	}
	org := CreateOrganisation(t, s, omadata.OrgCity)
	path := filepath.Join(t.TempDir(), "copy.db")
	ok(t, s.DB().BackupInto(ctx, path))
	if err := s.DB().BackupInto(ctx, path); err == nil {
		t.Fatal("a backup overwrote a file, want an error")
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("the copy has a WAL (%v), want one file", err)
	}
	cp, err := store.Open(ctx, "sqlite:"+path)
	ok(t, err)
	defer cp.Close()
	if got := must[*omadata.Organisation](t)(store.New(cp).FindOrganisationByID(Admin(), org.ID)); got.ID != org.ID {
		t.Fatalf("got %s, want %s", got.ID, org.ID)
	}
	if n := must[int](t)(cp.Objects(ctx)); n < 25 {
		t.Fatalf("the copy has %d tables, want the schema", n)
	}
}

// testBackupDropObjects: on PostgreSQL, what a refused restore leaves is
// dropped, down to an empty schema.
func testBackupDropObjects(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if n := must[int](t)(s.DB().Objects(ctx)); n < 25 {
		t.Fatalf("a migrated database has %d objects, want the schema's", n)
	}
	if s.DB().Engine() != "postgres" {
		if err := s.DB().DropObjects(ctx); err == nil {
			t.Fatal("dropped a SQLite database's tables, want an error")
		}
		return
	}
	CreateOrganisation(t, s, omadata.OrgCity)
	ok(t, s.DB().DropObjects(ctx))
	if n := must[int](t)(s.DB().Objects(ctx)); n != 0 {
		t.Fatalf("%d objects left, want none", n)
	}
}
