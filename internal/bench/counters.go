// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/omadata/omadata/internal/store"
)

// counters is a snapshot of what the process and its database have done
// so far; the difference of two is what a window did.
type counters struct {
	at time.Time
	// /proc/self/io: read and write system calls of every kind (sockets
	// too), the bytes they moved, and the bytes that reached storage.
	syscr, syscw, rchar, wchar, readBytes, writeBytes int64
	gcCycles                                          uint64
	gcPause                                           time.Duration // total stop-the-world pause for GC
	// SQLite: the WAL file's size. PostgreSQL: the database's blocks read
	// from outside shared buffers and found in them, and the cluster's
	// checkpoints.
	wal                          int64
	blksRead, blksHit, checkpnts int64
}

// snapshot reads the counters now. Those it cannot read stay -1.
func snapshot(ctx context.Context, s *store.Store, d *Dataset) counters {
	c := counters{at: time.Now(), syscr: -1, syscw: -1, rchar: -1, wchar: -1, readBytes: -1, writeBytes: -1, wal: -1, blksRead: -1, blksHit: -1, checkpnts: -1}
	if f, err := os.Open("/proc/self/io"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "syscr":
				c.syscr = n
			case "syscw":
				c.syscw = n
			case "rchar":
				c.rchar = n
			case "wchar":
				c.wchar = n
			case "read_bytes":
				c.readBytes = n
			case "write_bytes":
				c.writeBytes = n
			}
		}
		f.Close()
	}
	m := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(m)
	if m[0].Value.Kind() == metrics.KindUint64 {
		c.gcCycles = m[0].Value.Uint64()
	}
	if m[1].Value.Kind() == metrics.KindFloat64Histogram {
		c.gcPause = histogramSum(m[1].Value.Float64Histogram())
	}
	switch d.Engine {
	case "sqlite":
		if fi, err := os.Stat(strings.TrimPrefix(d.URL, "sqlite:") + "-wal"); err == nil {
			c.wal = fi.Size()
		}
	case "postgres":
		if rows, err := s.DB().QueryStrings(ctx, `SELECT blks_read, blks_hit FROM pg_stat_database WHERE datname = current_database()`); err == nil && len(rows) == 1 {
			c.blksRead, _ = strconv.ParseInt(rows[0][0], 10, 64)
			c.blksHit, _ = strconv.ParseInt(rows[0][1], 10, 64)
		}
		if rows, err := s.DB().QueryStrings(ctx, `SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter`); err == nil && len(rows) == 1 {
			c.checkpnts, _ = strconv.ParseInt(rows[0][0], 10, 64)
		}
	}
	return c
}

// histogramSum estimates the sum of a histogram's samples from its
// buckets' midpoints (their lower bound for the open last bucket).
func histogramSum(h *metrics.Float64Histogram) time.Duration {
	var sum float64
	for i, n := range h.Counts {
		if n == 0 {
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		v := lo
		switch {
		case lo < 0 || lo != lo:
			v = hi
		case hi-lo < 1e300 && hi > lo:
			v = (lo + hi) / 2
		}
		sum += v * float64(n)
	}
	return time.Duration(sum * float64(time.Second))
}

// since describes what happened between before and c, per operation
// where ops > 0.
func (c counters) since(before counters, ops int) string {
	per := func(v int64) string {
		if ops <= 0 {
			return fmt.Sprint(v)
		}
		return fmt.Sprintf("%d (%.1f/op)", v, float64(v)/float64(ops))
	}
	var parts []string
	if c.syscr >= 0 && before.syscr >= 0 {
		parts = append(parts, "read syscalls "+per(c.syscr-before.syscr), "write syscalls "+per(c.syscw-before.syscw),
			fmt.Sprintf("bytes read/written by syscalls %s/%s", kib(c.rchar-before.rchar), kib(c.wchar-before.wchar)),
			fmt.Sprintf("bytes from/to storage %s/%s", kib(c.readBytes-before.readBytes), kib(c.writeBytes-before.writeBytes)))
	}
	parts = append(parts, fmt.Sprintf("GC cycles %d, GC pauses %s in all", c.gcCycles-before.gcCycles, dur(c.gcPause-before.gcPause)))
	if c.wal >= 0 || before.wal >= 0 {
		parts = append(parts, fmt.Sprintf("WAL file %s → %s", kib(before.wal), kib(c.wal)))
	}
	if c.blksRead >= 0 && before.blksRead >= 0 {
		parts = append(parts, "blks_read "+per(c.blksRead-before.blksRead), "blks_hit "+per(c.blksHit-before.blksHit),
			fmt.Sprintf("checkpoints %d", c.checkpnts-before.checkpnts))
	}
	return strings.Join(parts, ", ")
}

// kib writes a byte count in KiB, or "unknown" when negative.
func kib(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
