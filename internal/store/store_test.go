// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestSQLite runs the store suite on a fresh SQLite file per case.
func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store {
		return openMigrated(t, "sqlite:"+filepath.Join(t.TempDir(), "omadata.db"))
	})
}

// TestPostgres runs the store suite on PostgreSQL, one schema per case, when
// OMADATA_TEST_POSTGRES_DSN is set. With OMADATA_TEST_REQUIRE containing
// "postgres" (CI sets it) a missing DSN fails instead of skipping, and the
// result is written to OMADATA_TEST_EVIDENCE_DIR/store-postgres.txt.
func TestPostgres(t *testing.T) {
	dsn := os.Getenv("OMADATA_TEST_POSTGRES_DSN")
	required := strings.Contains(os.Getenv("OMADATA_TEST_REQUIRE"), "postgres")
	if dsn == "" {
		if required {
			t.Fatal("OMADATA_TEST_REQUIRE=postgres but OMADATA_TEST_POSTGRES_DSN is not set")
		}
		t.Skip("set OMADATA_TEST_POSTGRES_DSN=postgres://user:pass@127.0.0.1:5432/db?sslmode=disable to run the store suite on PostgreSQL")
	}
	passed := storetest.Run(t, func(t *testing.T) *store.Store {
		return openMigrated(t, PostgresSchema(t, dsn))
	})
	if dir := os.Getenv("OMADATA_TEST_EVIDENCE_DIR"); dir != "" && !t.Failed() {
		msg := fmt.Sprintf("store suite ran on PostgreSQL (%s): %d cases passed\n", store.SafeURL(dsn), passed)
		if err := os.WriteFile(filepath.Join(dir, "store-postgres.txt"), []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func openMigrated(t *testing.T, url string) *store.Store {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store.New(db)
}

// PostgresSchema creates a fresh schema for one test, drops it afterwards,
// and returns a DSN whose search_path selects it.
func PostgresSchema(t *testing.T, dsn string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
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
