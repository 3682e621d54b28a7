// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/skips"
	"github.com/omadata/omadata/internal/store"
)

// OpenSQLite returns a migrated store on a fresh SQLite file.
func OpenSQLite(t testing.TB) *store.Store {
	t.Helper()
	return OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "omadata.db"))
}

// SecretKey is the operator secret key of test stores.
var SecretKey = []byte("omadata test secret key, 32 b..!")

// OpenURL opens and migrates the database at url, closed when t ends, with
// a keyring and a signing key from SecretKey.
func OpenURL(t testing.TB, url string) *store.Store {
	t.Helper()
	return OpenURLWithLogOrigin(t, url, LogOrigin)
}

// logOrigins holds the log origin of each test store's database opened
// with another origin than LogOrigin.
var logOrigins sync.Map // *store.DB → string

// OpenURLWithLogOrigin is OpenURL with a log of origin origin: the store
// of an operator whose log origin is the one of its URL, as a network
// requires (network.md §2.4 step 7), known once its server listens.
func OpenURLWithLogOrigin(t testing.TB, url, origin string) *store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	kr, err := keys.NewKeyring(SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := keys.NewSealer(SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.Ensure(ctx, store.New(db), sealer, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := keys.NewRecordSigner(k, sealer)
	if err != nil {
		t.Fatal(err)
	}
	logSigner, _, err := keys.LogSigner(ctx, store.New(db), sealer, origin)
	if err != nil {
		t.Fatal(err)
	}
	if origin != LogOrigin {
		logOrigins.Store(db, origin)
		t.Cleanup(func() { logOrigins.Delete(db) })
	}
	return store.New(db, store.WithKeyring(kr), store.WithSigner(signer), store.WithIssuer("https://omadata.test"), store.WithLog(logSigner))
}

// PostgresDSN returns OMADATA_TEST_POSTGRES_DSN. Without it the test is
// skipped, or fails when OMADATA_TEST_REQUIRE names "postgres" (CI).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("OMADATA_TEST_POSTGRES_DSN")
	if dsn == "" {
		skips.Skip(t, skips.Postgres, "OMADATA_TEST_POSTGRES_DSN is not set: set OMADATA_TEST_POSTGRES_DSN=postgres://user:pass@127.0.0.1:5432/db?sslmode=disable to run on PostgreSQL")
	}
	return dsn
}

// OpenPostgres returns a migrated store in a fresh PostgreSQL schema.
func OpenPostgres(t testing.TB) *store.Store {
	t.Helper()
	return OpenURL(t, PostgresSchema(t, PostgresDSN(t)))
}

// PostgresSchema creates a fresh schema for one test, drops it when the
// test ends, and returns a DSN whose search_path selects it.
func PostgresSchema(t testing.TB, dsn string) string {
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

// LogOrigin is the origin of the test stores' transparency logs.
var LogOrigin = omadata.LogOrigin("https://omadata.test")

// LogVerifierKey returns the note verifier key of the store's log, as the
// operator publishes it: named LogOrigin, or the origin the store was
// opened with (OpenURLWithLogOrigin).
func LogVerifierKey(t testing.TB, s *store.Store) string {
	t.Helper()
	ks, err := s.FindSigningKeys(Admin())
	if err != nil {
		t.Fatal(err)
	}
	origin := LogOrigin
	if o, ok := logOrigins.Load(s.DB()); ok {
		origin = o.(string)
	}
	vkeys, err := keys.LogVerifierKeys(ks, origin)
	if err != nil || len(vkeys) != 1 {
		t.Fatalf("log verifier keys: %v, %v", vkeys, err)
	}
	return vkeys[0]
}

// RecordSigner returns the signer of s's active records key (the receipt
// key), as serve loads it: what signs anything else the operator signs
// besides receipts, such as archive manifests.
func RecordSigner(t testing.TB, s omadata.SigningKeyService) omadata.Signer {
	t.Helper()
	sealer, err := keys.NewSealer(SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.Active(context.Background(), s, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	} else if k == nil {
		t.Fatal("no active records key")
	}
	signer, err := keys.NewRecordSigner(k, sealer)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}
