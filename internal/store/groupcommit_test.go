// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func openSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Exec(context.Background(), `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestGroupCommit runs many concurrent calls, some of which fail part-way:
// each successful call is visible to readers as soon as its Commit
// returns, and nothing of a failed call is, whatever else shared its batch.
func TestGroupCommit(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	const calls = 400
	var wg sync.WaitGroup
	errs := make([]error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := db.begin(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			defer tx.Rollback()
			if _, err := tx.exec(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, i, "first"); err != nil {
				errs[i] = err
				return
			}
			if i%5 == 0 {
				// A second insert of the same key fails: the whole call,
				// including its first insert, must vanish.
				if _, err := tx.exec(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, i, "again"); err != nil {
					errs[i] = err
					return
				}
			}
			if err := tx.Commit(); err != nil {
				errs[i] = err
				return
			}
			var n int
			if err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM t WHERE id = ?`, i).Scan(&n); err != nil || n != 1 {
				errs[i] = fmt.Errorf("committed row %d not visible to a reader: n=%d err=%v", i, n, err)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%5 == 0 && err == nil {
			t.Errorf("call %d: want its duplicate insert to fail", i)
		} else if i%5 != 0 && err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	var n int
	if err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := calls - calls/5; n != want {
		t.Fatalf("got %d rows, want %d: a failed call left rows, or a good one lost them", n, want)
	}
}

// TestGroupCommitCancelled: a call whose context is cancelled before it
// starts changes nothing and does not disturb the batch.
func TestGroupCommitCancelled(t *testing.T) {
	db := openSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.begin(ctx); err == nil {
		t.Fatal("began a transaction with a cancelled context")
	}
	if err := db.Exec(context.Background(), `INSERT INTO t (id, v) VALUES (1, 'x')`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("committed twice")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("a deferred rollback after commit failed: %v", err)
	}
}

// TestGroupCommitExpected: a batch left open for a call that announced a
// write is committed when that call begins and commits, when it cancels, or
// after maxLinger if it is slow; no call waits for ever.
func TestGroupCommitExpected(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	count := func() int {
		rows, err := db.QueryStrings(ctx, `SELECT COUNT(*) FROM t`)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(rows[0][0])
		return n
	}
	slow := db.expectWrite()
	if err := db.Exec(ctx, `INSERT INTO t (v) VALUES ('a')`); err != nil { // waits at most maxLinger for slow
		t.Fatal(err)
	}
	if got := count(); got != 1 {
		t.Fatalf("got %d rows after the first commit, want 1", got)
	}
	tx, err := db.beginAt(ctx, db.Now())
	if err != nil {
		t.Fatal(err)
	}
	slow.began()
	slow.cancel() // after began: nothing
	if _, err := tx.exec(ctx, `INSERT INTO t (v) VALUES ('b')`); err != nil {
		t.Fatal(err)
	} else if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	gone := db.expectWrite()
	done := make(chan error)
	go func() { done <- db.Exec(ctx, `INSERT INTO t (v) VALUES ('c')`) }()
	gone.cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 3 {
		t.Fatalf("got %d rows, want 3", got)
	}
}

// BenchmarkSyncedInsert measures one-row synced inserts, one after another
// and from many goroutines at once: the second shares fsyncs.
func BenchmarkSyncedInsert(b *testing.B) {
	for _, par := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", par), func(b *testing.B) {
			db, err := Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "g.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			db.Exec(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)`)
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := db.Exec(ctx, `INSERT INTO t (v) VALUES ('x')`); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
