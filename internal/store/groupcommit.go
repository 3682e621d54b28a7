// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// groupCommitter makes SQLite's one writer durable without paying an fsync
// per call. Each service call runs in a SAVEPOINT inside a shared "batch"
// transaction on the one write connection; when a call releases its
// savepoint and nobody is queued behind it (or the batch is full or old),
// it commits the batch — one fsync for every call in it — and only then do
// the calls of the batch return. A call that fails rolls back to its own
// savepoint and leaves the others intact. Nobody outside sees a batch
// before it is committed: readers use other connections, and no call
// answers before its batch's commit.
type groupCommitter struct {
	conn    *sql.Conn    // the one write connection, held for the DB's life
	stmts   *stmtCache   // statements prepared on conn
	mu      sync.Mutex   // held by the call using conn
	waiting atomic.Int32 // calls queued for mu
	coming  atomic.Int32 // calls preparing a write they will soon queue with (expect)

	batch *batch // the open batch transaction, or nil; guarded by mu
}

// batch is one shared transaction; its members wait on done.
type batch struct {
	done    chan struct{}
	err     error // set before done is closed
	members int
	started time.Time
	linger  *time.Timer // commits the batch if the calls it waits for are slow
}

const (
	maxBatch      = 256                   // calls per commit at most
	maxBatchDelay = 10 * time.Millisecond // age of a batch after which the next release commits it
	maxLinger     = time.Millisecond      // how long a batch waits for calls that are coming (expect)
)

func newGroupCommitter(ctx context.Context, db *sql.DB) (*groupCommitter, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &groupCommitter{conn: conn, stmts: newStmtCache(func(ctx context.Context, q string) (*sql.Stmt, error) {
		return conn.PrepareContext(ctx, q)
	})}, nil
}

// begin queues for the write connection and opens a savepoint, and the
// batch transaction first when none is open.
func (g *groupCommitter) begin(ctx context.Context) (*batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g.waiting.Add(1)
	g.mu.Lock()
	g.waiting.Add(-1)
	if g.batch == nil {
		if _, err := g.exec("BEGIN IMMEDIATE"); err != nil {
			g.mu.Unlock()
			return nil, fmt.Errorf("begin: %w", err)
		}
		g.batch = &batch{done: make(chan struct{}), started: time.Now()}
	}
	if _, err := g.exec("SAVEPOINT call"); err != nil {
		g.finish(errors.New("the batch could not open a savepoint"))
		g.mu.Unlock()
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	return g.batch, nil
}

// exec runs a statement that every call or batch runs on the connection,
// prepared once.
func (g *groupCommitter) exec(query string) (sql.Result, error) {
	if st := g.stmts.get(context.Background(), query); st != nil {
		return st.Exec()
	}
	return g.conn.ExecContext(context.Background(), query)
}

// release ends a call's savepoint: RELEASE on success, ROLLBACK TO on
// failure. It commits the batch when no call is queued, the batch is full
// or old; then it gives up the connection. It returns the batch the call's
// changes are in, nil if they were rolled back.
func (g *groupCommitter) release(ok bool) *batch {
	b := g.batch
	if ok {
		if _, err := g.exec("RELEASE call"); err != nil {
			// SQLite may have rolled the whole transaction back (I/O
			// error, disk full): nothing of this batch is committed.
			g.finish(fmt.Errorf("release: %w", err))
			g.mu.Unlock()
			return b
		}
		b.members++
	} else if _, err := g.conn.ExecContext(context.Background(), "ROLLBACK TO call; RELEASE call"); err != nil {
		g.finish(fmt.Errorf("rollback to savepoint: %w", err))
		g.mu.Unlock()
		return nil
	}
	if g.waiting.Load() == 0 && g.coming.Load() == 0 || b.members >= maxBatch || time.Since(b.started) >= maxBatchDelay {
		g.finish(nil)
	} else if g.waiting.Load() == 0 && b.linger == nil {
		b.linger = time.AfterFunc(maxLinger, func() {
			g.mu.Lock()
			if g.batch == b {
				g.finish(nil)
			}
			g.mu.Unlock()
		})
	}
	g.mu.Unlock()
	if !ok {
		return nil
	}
	return b
}

// expect announces a call that reads and computes before it queues for
// the connection: while such calls are coming, a release leaves the batch
// open for them (up to maxBatch calls, or maxLinger after the release), so
// that they share its fsync instead of each paying one. The call must then call arrive
// just before it begins, or cancel if it does not write after all.
func (g *groupCommitter) expect() { g.coming.Add(1) }

// arrive ends an expect before begin.
func (g *groupCommitter) arrive() { g.coming.Add(-1) }

// cancel ends an expect of a call that will not begin: if it was the one
// the open batch waited for, it commits the batch.
func (g *groupCommitter) cancel() {
	if g.coming.Add(-1) != 0 || g.waiting.Load() != 0 {
		return
	}
	g.mu.Lock()
	if g.waiting.Load() == 0 && g.coming.Load() == 0 {
		g.finish(nil)
	}
	g.mu.Unlock()
}

// finish commits the open batch (or rolls it back after a failure) and
// wakes its members. Called with mu held.
func (g *groupCommitter) finish(failed error) {
	b := g.batch
	if b == nil {
		return
	}
	g.batch = nil
	if b.linger != nil {
		b.linger.Stop()
	}
	if failed == nil {
		if _, err := g.exec("COMMIT"); err != nil {
			failed = fmt.Errorf("commit: %w", err)
		}
	}
	if failed != nil {
		g.conn.ExecContext(context.Background(), "ROLLBACK") // may fail if SQLite already rolled back
	}
	b.err = failed
	close(b.done)
}

func (g *groupCommitter) close() error {
	g.stmts.close()
	return g.conn.Close()
}
