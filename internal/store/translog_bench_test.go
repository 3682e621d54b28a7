// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// BenchmarkLog measures the transparency log on a SQLite log of
// OMADATA_BENCH_LOG_LEAVES leaves (default 100,000): inclusion proofs (by
// index and by leaf hash) and consistency proofs at random places, and a full `omadata log verify`,
// beside a baseline measured in the same run: a point read of one leaf by
// its primary key, the cheapest read there is. Integration speed (leaves
// integrated and checkpointed per second while building the log) is
// reported as a metric of the setup. docs/performance.md has the figures.
//
//	OMADATA_BENCH_LOG_LEAVES=10000000 go test -run XXX -bench Log -benchtime 2000x -timeout 2h ./internal/store/
func BenchmarkLog(b *testing.B) {
	n := 100_000
	if v := os.Getenv("OMADATA_BENCH_LOG_LEAVES"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 2 {
			b.Fatalf("OMADATA_BENCH_LOG_LEAVES=%q: want a number of leaves, 2 or more", v)
		}
		n = int(f)
	}
	dir := b.TempDir()
	s := storetest.OpenURL(b, "sqlite:"+filepath.Join(dir, "log.db"))
	ctx := storetest.Admin()
	start := time.Now()
	if err := store.AppendTestLeaves(ctx, s, n); err != nil {
		b.Fatal(err)
	}
	appended := time.Since(start)
	start = time.Now()
	// Integration speed as the tree grows, a million leaves at a time:
	// the cost that matters is the one at the largest size.
	mark, marked := int64(1_000_000), start
	for {
		cp, err := s.IntegrateLog(ctx)
		if err != nil {
			b.Fatal(err)
		} else if cp == nil {
			break
		}
		if cp.Size >= mark {
			b.Logf("integrated %d: %.0f leaves/s over the last million", cp.Size, 1e6/time.Since(marked).Seconds())
			mark, marked = mark+1_000_000, time.Now()
		}
	}
	integrated := time.Since(start)
	cp, err := s.LatestCheckpoint(ctx)
	if err != nil || cp.Size < int64(n) {
		b.Fatalf("checkpoint %+v, %v: want %d leaves", cp, err, n)
	}
	size := cp.Size
	b.Logf("%d leaves: appended in %s, integrated in %s (%.0f leaves/s)", size, appended.Round(time.Millisecond),
		integrated.Round(time.Millisecond), float64(size)/integrated.Seconds())

	b.Run("baseline-point-read", func(b *testing.B) {
		for b.Loop() {
			var data string
			rows, err := s.DB().QueryStrings(context.Background(), `SELECT data FROM log_leaves WHERE seq = ?`, rand.Int64N(size)+1)
			if err != nil || len(rows) != 1 {
				b.Fatal(err)
			}
			data = rows[0][0]
			_ = data
		}
	})
	b.Run("inclusion", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ProveInclusion(ctx, rand.Int64N(size), 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	// By leaf hash, as ?leaf_hash= asks: one seek per part of 2^20 leaves
	// in log_leaf_keys, then the proof.
	b.Run("inclusion-by-hash", func(b *testing.B) {
		hashes := make([]string, 1000)
		for i := range hashes {
			e, err := s.LogEntryAt(ctx, rand.Int64N(size))
			if err != nil {
				b.Fatal(err)
			}
			hashes[i] = e.LeafHash
		}
		i := 0
		for b.Loop() {
			if _, err := s.ProveInclusionByHash(ctx, hashes[i%len(hashes)], 0); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("consistency", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ProveConsistency(ctx, rand.Int64N(size-1)+1, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			rep, err := store.VerifyLog(context.Background(), s.DB(), store.VerifyLogOptions{})
			if err != nil || rep.Leaves != size {
				b.Fatalf("%+v %v", rep, err)
			}
		}
	})
}
