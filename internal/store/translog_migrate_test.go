// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestLogHashKeyMigration: migration 011 gives the leaves already in the
// tree the same keys the integrator gives new ones, so each is found by
// its hash, in any part, also when another leaf's hash shares its key.
func TestLogHashKeyMigration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testLogHashKeyMigration(t, "sqlite:"+filepath.Join(t.TempDir(), "old.db")) })
	t.Run("postgres", func(t *testing.T) {
		testLogHashKeyMigration(t, storetest.PostgresSchema(t, storetest.PostgresDSN(t)))
	})
}

func testLogHashKeyMigration(t *testing.T, url string) {
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := store.MigrateThrough(ctx, db, "010_staff.sql"); err != nil {
		t.Fatal(err)
	}

	hash := func(b ...byte) tlog.Hash {
		var h tlog.Hash
		for i := range h {
			h[i] = b[i%len(b)]
		}
		return h
	}
	top := hash(0xff)  // "////…": the last base64 character, and the top bit set
	twin := hash(0xff) // the same first 60 bits as top, another hash
	twin[31] = 0
	plus := hash(0xfb, 0xef, 0xbe) // "++++…"
	low := hash(0x00, 0x10, 0x83)  // "ABCD…"
	absent := hash(0xff)           // shares its key with top and twin, in no leaf
	absent[20] = 1
	leaves := []struct {
		idx  int64
		hash tlog.Hash
	}{
		{0, low},
		{1, top},
		{1<<20 + 3, plus},
		{3<<20 + 1, twin},
		{3<<20 + 2, tlog.RecordHash([]byte("a leaf"))},
	}
	for i, l := range leaves {
		seq := i + 1
		if err := db.Exec(ctx, `INSERT INTO log_leaves (seq, kind, record_kind, record_id, data, created_at) VALUES (?, 'admin.bench', 'admin_change', ?, '{}', ?)`,
			seq, fmt.Sprintf("chg_%d", seq), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(ctx, `INSERT INTO log_index (idx, leaf_seq, leaf_hash) VALUES (?, ?, ?)`, l.idx, seq, l.hash.String()); err != nil {
			t.Fatal(err)
		}
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != "011_log_hash_key.sql" {
		t.Fatalf("applied %v, want 011_log_hash_key.sql first", applied)
	}

	for _, l := range leaves {
		part, key := store.LeafKey(l.idx, l.hash)
		rows, err := db.QueryStrings(ctx, `SELECT part, hash_key FROM log_leaf_keys WHERE idx = ?`, l.idx)
		if err != nil {
			t.Fatal(err)
		}
		if want := [][]string{{fmt.Sprint(part), fmt.Sprint(key)}}; fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("leaf %d (%s): migrated key %v, the integrator's %v", l.idx, l.hash, rows, want)
		}
		if got, err := store.FindLeafIndex(ctx, db, l.hash); err != nil || got != l.idx {
			t.Errorf("leaf %d (%s): found at %d, %v", l.idx, l.hash, got, err)
		}
	}
	if _, err := store.FindLeafIndex(ctx, db, absent); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("a hash in no leaf, with another's key: %v, want not found", err)
	}
	if err := db.Exec(ctx, `DELETE FROM log_leaf_keys`); err == nil {
		t.Error("the database allowed deleting leaf keys")
	}
	if err := db.Exec(ctx, `DELETE FROM log_index`); err == nil {
		t.Error("the database allowed deleting from the rebuilt log index")
	}
}
