// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestRepresentationScopeMigration: migration 013 keeps what stored
// representations meant, in words: a guardianship and a mandate recorded
// with no purposes cover every purpose; a mandate with purposes covers
// those only.
func TestRepresentationScopeMigration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testRepresentationScopeMigration(t, "sqlite:"+filepath.Join(t.TempDir(), "old.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		testRepresentationScopeMigration(t, storetest.PostgresSchema(t, storetest.PostgresDSN(t)))
	})
}

func testRepresentationScopeMigration(t *testing.T, url string) {
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := store.MigrateThrough(ctx, db, "012_consents_live.sql"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, id := range []string{"res_a", "res_b", "res_c"} {
		if err := db.Exec(ctx, `INSERT INTO residents (id, identity_hash, identity_sealed, birth_date, created_at, updated_at) VALUES (?, ?, 'x', '1970-01-01', ?, ?)`,
			id, "h"+id, now, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range [][3]string{{"rep_guardian", "guardian", `[]`}, {"rep_general", "mandate", `[]`}, {"rep_scoped", "mandate", `["research"]`}} {
		if err := db.Exec(ctx, `INSERT INTO representations (id, kind, representative_id, principal_id, scope, basis, valid_from, created_at)
			VALUES (?, ?, 'res_a', 'res_b', ?, 'x', ?, ?)`, r[0], r[1], r[2], now, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryStrings(ctx, `SELECT id, CASE WHEN all_purposes THEN 'all' ELSE 'named' END, scope FROM representations ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"rep_general", "all", `[]`}, {"rep_guardian", "all", `[]`}, {"rep_scoped", "named", `["research"]`}}
	if len(rows) != len(want) {
		t.Fatalf("got %v, want %v", rows, want)
	}
	for i := range want {
		for j := range want[i] {
			if rows[i][j] != want[i][j] {
				t.Fatalf("got %v, want %v", rows, want)
			}
		}
	}
}
