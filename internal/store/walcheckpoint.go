// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// walCheckpointer copies SQLite's write-ahead log back into the database
// file off the writer's path. With SQLite's default, the COMMIT that
// takes the WAL past 1,000 pages runs the checkpoint itself, holding the
// one writer (and so every call queued behind it) while it writes each
// page the WAL holds into the database file and syncs it; the pages are
// spread the wider, and the checkpoint the longer, the larger the
// database's indexes are. The writer therefore opens with
// wal_autocheckpoint=0 and this goroutine, on a connection of its own,
// runs a PASSIVE checkpoint every walCheckpointEvery: it copies what it
// can without taking any lock a writer or reader waits for.
//
// A PASSIVE checkpoint does not reset the WAL: SQLite starts writing it
// from its beginning again only when a write transaction begins after
// every frame has been copied, which a writer that commits every
// millisecond leaves no time for. So once the WAL holds walRestartPages
// pages, the checkpointer catches up beside the writer until at most
// walRestartLeft pages are left to copy, then takes the writer between two
// batches and runs the checkpoint again, which only has those left; the next batch then restarts the WAL, and the writer's
// journal_size_limit truncates the file. The WAL is so bounded by
// walRestartPages plus what the writer appends while the checkpointer
// waits for its turn, and the writer waits for a checkpoint once per
// walRestartPages pages, for a few hundred pages. docs/store.md says the
// same.
type walCheckpointer struct {
	conn     *sql.DB // one connection of its own
	group    *groupCommitter
	restart  int64 // walRestartPages, or a test's
	every    time.Duration
	stop     chan struct{}
	stopped  sync.Once
	done     chan struct{}
	restarts atomic.Int64 // checkpoints run holding the writer
	passives atomic.Int64 // checkpoints run beside it
}

const (
	walCheckpointEvery = 100 * time.Millisecond
	// walRestartPages (64 MiB of 4 KiB pages) is the WAL size at which
	// the checkpointer takes the writer to let the WAL restart.
	walRestartPages = 16384
	// walRestartLeft is how many pages may be left to copy when the
	// checkpointer takes the writer: it first catches up until so few are.
	walRestartLeft = 256
)

func newWALCheckpointer(conn *sql.DB, g *groupCommitter, restartPages int64, every time.Duration) *walCheckpointer {
	c := &walCheckpointer{conn: conn, group: g, restart: restartPages, every: every, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *walCheckpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.checkpoint()
	}
}

// checkpoint copies the WAL beside the writer, and once it is past the
// restart size again holding the writer.
func (c *walCheckpointer) checkpoint() {
	log, copied, err := c.passive()
	if err != nil || log < c.restart {
		return
	}
	// Catch up beside the writer first, so that what is left to copy
	// holding it is a moment's frames, not a period's.
	for range 8 {
		if log-copied <= walRestartLeft {
			break
		}
		if log, copied, err = c.passive(); err != nil {
			return
		}
	}
	c.group.mu.Lock()
	// A batch left open for calls that are coming is committed first: its
	// frames are then in the WAL to copy, and no transaction stays open.
	c.group.finish(nil)
	c.passive()
	c.restarts.Add(1)
	c.group.mu.Unlock()
}

// passive runs one PASSIVE checkpoint and returns the WAL's size and how
// much of it is in the database file, in pages.
func (c *walCheckpointer) passive() (log, copied int64, err error) {
	var busy int64
	err = c.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &copied)
	c.passives.Add(1)
	return log, copied, err
}

func (c *walCheckpointer) close() error {
	c.stopOnly()
	return c.conn.Close()
}

// stopOnly stops the goroutine and leaves the connection open. Closing
// the DB twice calls it twice.
func (c *walCheckpointer) stopOnly() {
	c.stopped.Do(func() { close(c.stop) })
	<-c.done
}
