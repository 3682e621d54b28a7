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

// TestSQLiteStatusConditions: on SQLite a consent's insert and status
// update, and an outbox insert, build no temporary table for a status
// condition (an IN list does: migration 012), and the CHECK constraints
// still refuse an unknown status.
func TestSQLiteStatusConditions(t *testing.T) {
	s := storetest.OpenSQLite(t)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO consents (id, resident_id, processing_id, version_id, sink_id, source_ids, status, valid_from, valid_until, last_hash, message, created_at, updated_at)
			VALUES ('c', 'r', 'p', 'v', 's', '[]', 'given', NULL, NULL, 'h', '{}', 't', 't')`,
		`UPDATE consents SET status = 'withdrawn', last_hash = 'h2', updated_at = 't' WHERE id = 'c' AND last_hash = 'h'`,
		`INSERT INTO outbox (id, service_id, type, payload, status, attempts, next_attempt_at, last_status, last_error, created_at)
			VALUES ('e', 's', 't', '{}', 'pending', 0, 't', 0, '', 't')`,
	} {
		ops, err := s.DB().QueryStrings(ctx, `EXPLAIN `+q)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			if op[1] == "OpenEphemeral" {
				t.Errorf("%.40s… builds a temporary table", strings.Join(strings.Fields(q), " "))
				break
			}
		}
	}
	for table, q := range map[string]string{
		"consents": `INSERT INTO consents (id, resident_id, processing_id, version_id, sink_id, source_ids, status, last_hash, created_at, updated_at)
			VALUES ('c', 'r', 'p', 'v', 's', '[]', 'bogus', 'h', 't', 't')`,
		"outbox": `INSERT INTO outbox (id, service_id, type, payload, status, attempts, next_attempt_at, last_status, last_error, created_at)
			VALUES ('e', 's', 't', '{}', 'bogus', 0, 't', 0, '', 't')`,
	} {
		if err := s.DB().Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "CHECK") {
			t.Errorf("%s took an unknown status: %v", table, err)
		}
	}
}
