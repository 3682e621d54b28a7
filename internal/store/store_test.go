// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestSQLite runs the store suite on a fresh SQLite file per case.
func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store { return storetest.OpenSQLite(t) })
}

// TestPostgres runs the store suite on PostgreSQL, one schema per case, when
// OMADATA_TEST_POSTGRES_DSN is set. With OMADATA_TEST_REQUIRE containing
// "postgres" (CI sets it) a missing DSN fails instead of skipping, and the
// result is written to OMADATA_TEST_EVIDENCE_DIR/store-postgres.txt.
func TestPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	passed := storetest.Run(t, func(t *testing.T) *store.Store { return storetest.OpenPostgres(t) })
	if dir := os.Getenv("OMADATA_TEST_EVIDENCE_DIR"); dir != "" && !t.Failed() {
		msg := fmt.Sprintf("store suite ran on PostgreSQL (%s): %d cases passed\n", store.SafeURL(dsn), passed)
		if err := os.WriteFile(filepath.Join(dir, "store-postgres.txt"), []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRefusesUnknownURLs(t *testing.T) {
	for _, u := range []string{"postgres:/db", "postgresql:db", "mysql://x", "host=db password=secret", "sqlite:", "sqlite:x.db?mode=ro"} {
		if db, err := store.Open(context.Background(), u); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", u)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error echoes the password: %v", u, err)
		}
	}
}

func TestOpenAcceptsPathsWithEquals(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "clients=32")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "omadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}
