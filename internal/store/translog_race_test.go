// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestLogIntegrationLostRace: an integration that another one overtakes
// between its reads and its write writes nothing, and the leaves are in
// the tree once. On SQLite the integration that reads first loses (the
// checkpoint's compare-and-swap); on PostgreSQL the second cannot start
// (the advisory lock).
func TestLogIntegrationLostRace(t *testing.T) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"SQLite", storetest.OpenSQLite}, {"Postgres", storetest.OpenPostgres}} {
		t.Run(engine.name, func(t *testing.T) {
			s := engine.open(t)
			ctx := storetest.Admin()
			integrateAll(t, s)
			if err := store.AppendTestLeaves(ctx, s, 10); err != nil {
				t.Fatal(err)
			}
			before := count(t, s, `SELECT COUNT(*) FROM log_checkpoints`)
			var outer, inner *omadata.Checkpoint
			var innerErr error
			deadline := time.Now().Add(30 * time.Second)
			for outer == nil && inner == nil {
				store.SetIntegrateRace(t, func() {
					store.SetIntegrateRace(t, nil)
					inner, innerErr = s.IntegrateLog(ctx)
				})
				var err error
				if outer, err = s.IntegrateLog(ctx); err != nil || innerErr != nil {
					t.Fatal(err, innerErr)
				}
				if time.Now().After(deadline) { // PostgreSQL: other tests' transactions hold the leaves back
					t.Fatal("no integration signed the new leaves")
				}
			}
			if outer != nil && inner != nil {
				t.Fatalf("both integrations signed: %d and %d leaves", outer.Size, inner.Size)
			}
			leaves := count(t, s, `SELECT COUNT(*) FROM log_leaves`)
			if got := count(t, s, `SELECT COUNT(*) FROM log_checkpoints`); got != before+1 {
				t.Fatalf("%d checkpoints after the race, want %d", got, before+1)
			}
			if got := count(t, s, `SELECT COUNT(*) FROM log_index`); got != leaves {
				t.Fatalf("%d leaves indexed, want %d", got, leaves)
			}
			if engine.name == "SQLite" && inner == nil {
				t.Fatal("on SQLite the integration that wrote first lost")
			}
			if _, err := store.VerifyLog(context.Background(), s.DB(), store.VerifyLogOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSQLiteWALBounded: with eight writers that leave the writer no
// pause and readers beside them, the WAL checkpointer keeps the WAL file
// within its restart size (here 64 pages, 256 KiB) plus what the writers
// append while it gets its turn, a few MiB on a busy machine, where
// SQLite's own checkpoint is off on the writer: without the checkpointer,
// or with one that only copies beside the writer, the WAL never restarts
// and grows with everything written (some 40 MiB here).
func TestSQLiteWALBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal.db")
	s := storetest.OpenURL(t, "sqlite:"+path)
	db := s.DB()
	ctx := context.Background()
	if err := store.SetWALCheckpoint(db, 64, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, `CREATE TABLE wal_fill (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	var largest int64
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		for {
			if fi, err := os.Stat(path + "-wal"); err == nil {
				largest = max(largest, fi.Size())
			}
			if _, err := db.QueryStrings(ctx, `SELECT MAX(id) FROM wal_fill`); err != nil {
				t.Error(err)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	const writers, perWriter, row = 8, 1200, 4000
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range perWriter {
				if err := db.Exec(ctx, `INSERT INTO wal_fill (v) VALUES (randomblob(?))`, row); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	watch.Wait()
	passive, restart := store.WALCheckpoints(db)
	t.Logf("largest WAL %d KiB; %d checkpoints beside the writer, %d holding it", largest>>10, passive, restart)
	if written := int64(writers * perWriter * row); largest > written/2 || restart == 0 {
		t.Fatalf("the WAL reached %d KiB with %d restarts: want at most half of the %d KiB written", largest>>10, restart, written>>10)
	}
}

func count(t *testing.T, s *store.Store, query string) int {
	t.Helper()
	rows, err := s.DB().QueryStrings(context.Background(), query)
	if err != nil || len(rows) != 1 {
		t.Fatal(query, err)
	}
	var n int
	for _, c := range rows[0][0] {
		n = n*10 + int(c-'0')
	}
	return n
}
