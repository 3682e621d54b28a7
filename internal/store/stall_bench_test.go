// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// BenchmarkWriterStall measures how long SQLite's one writer makes calls
// wait while the log integrator and the WAL checkpoint run, at two log
// sizes (OMADATA_BENCH_STALL_LEAVES, default 1e4,1e5 leaves already
// integrated). Four clients append one leaf each per call, as a permit
// does, through group commit, in rounds that alternate three modes on
// the same database, so that a noisy machine hurts each alike:
//
//	quiet       the WAL checkpointer beside the writer, no integrator
//	integrator  the same, and IntegrateLog every 250 ms
//	autockpt    no integrator, and SQLite's own checkpoint in the COMMIT
//	            that passes 1,000 WAL pages, as before the checkpointer
//
// It reports each mode's p99 and the ratios integrator/quiet and
// autockpt/quiet. docs/performance.md (### Tail latency) has the figures.
//
//	go test -run XXX -bench WriterStall -benchtime 1x ./internal/store/
func BenchmarkWriterStall(b *testing.B) {
	for _, n := range stallSizes(b) {
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			s := storetest.OpenURL(b, "sqlite:"+filepath.Join(b.TempDir(), "stall.db"))
			ctx := storetest.Admin()
			if err := store.AppendTestLeaves(ctx, s, n); err != nil {
				b.Fatal(err)
			}
			for {
				if cp, err := s.IntegrateLog(ctx); err != nil {
					b.Fatal(err)
				} else if cp == nil {
					break
				}
			}
			modes := []string{"quiet", "integrator", "autockpt"}
			lat := map[string][]time.Duration{}
			probe := 0
			for b.Loop() {
				for range 5 {
					for _, m := range modes {
						lat[m] = append(lat[m], stallRound(b, s, m, &probe)...)
					}
				}
			}
			p99 := map[string]float64{}
			for _, m := range modes {
				slices.Sort(lat[m])
				d := lat[m]
				p99[m] = float64(d[len(d)*99/100].Microseconds())
				b.ReportMetric(p99[m], "µs-p99-"+m)
				b.Logf("%s: %d calls, p50 %s, p99 %s, max %s", m, len(d), d[len(d)/2], d[len(d)*99/100], d[len(d)-1])
			}
			b.ReportMetric(p99["integrator"]/p99["quiet"], "p99-integrator/quiet")
			b.ReportMetric(p99["autockpt"]/p99["quiet"], "p99-autockpt/quiet")
		})
	}
}

// stallRound runs 4 clients of 400 calls each in mode and returns each
// call's latency.
func stallRound(b *testing.B, s *store.Store, mode string, probe *int) []time.Duration {
	ctx := storetest.Admin()
	db := s.DB()
	restart := int64(0)
	if mode != "autockpt" {
		restart = 16384
	}
	if err := store.SetWALCheckpoint(db, restart, 100*time.Millisecond); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	var integrator sync.WaitGroup
	if mode == "integrator" {
		integrator.Go(func() {
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				if _, err := s.IntegrateLog(ctx); err != nil {
					b.Error(err)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		})
	}
	const clients, calls = 4, 400
	out := make([]time.Duration, clients*calls)
	base := *probe
	*probe += clients * calls
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range calls {
				k := c*calls + i
				start := time.Now()
				if err := store.AppendTestLeaf(context.Background(), s, "admin.bench", omadata.RecordAdminChange, fmt.Sprintf("chg_probe%017d", base+k)); err != nil {
					b.Error(err)
					return
				}
				out[k] = time.Since(start)
			}
		})
	}
	wg.Wait()
	close(stop)
	integrator.Wait()
	return out
}

// BenchmarkIntegrateHold measures how long one integration of a batch of
// leaves (integrateWrite, 256) holds SQLite's one writer for its inserts
// and checkpoint row, beside how long it takes in all, which is how long
// it held the writer before the integration read, hashed and signed
// outside it; at two log sizes (OMADATA_BENCH_STALL_LEAVES, default
// 1e4,1e5). It reports the median and longest of 40 integrations, the
// ratio of the median hold to the median run, and logs the ratio of the
// median holds of the larger size to the smaller one.
//
//	go test -run XXX -bench IntegrateHold -benchtime 1x ./internal/store/
func BenchmarkIntegrateHold(b *testing.B) {
	sizes := stallSizes(b)
	var holds []time.Duration
	for _, n := range sizes {
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			s := storetest.OpenURL(b, "sqlite:"+filepath.Join(b.TempDir(), "hold.db"))
			ctx := storetest.Admin()
			if err := store.AppendTestLeaves(ctx, s, n); err != nil {
				b.Fatal(err)
			}
			for {
				if cp, err := s.IntegrateLog(ctx); err != nil {
					b.Fatal(err)
				} else if cp == nil {
					break
				}
			}
			var held, took []time.Duration
			store.TimeIntegrations(b, func(n int, h, t time.Duration) { held, took = append(held, h), append(took, t) })
			next := n
			for b.Loop() {
				for range 40 {
					if err := store.AppendMoreTestLeaves(ctx, s, next, 256); err != nil {
						b.Fatal(err)
					}
					next += 256
					if _, err := s.IntegrateLog(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			slices.Sort(held)
			slices.Sort(took)
			h50, t50 := held[len(held)/2], took[len(took)/2]
			b.ReportMetric(float64(h50.Microseconds()), "µs-held-p50")
			b.ReportMetric(float64(held[len(held)-1].Microseconds()), "µs-held-max")
			b.ReportMetric(float64(t50.Microseconds()), "µs-run-p50")
			b.ReportMetric(float64(h50)/float64(t50), "held/run-p50")
			b.Logf("%d leaves, %d integrations of 256 leaves: held the writer p50 %s (max %s), took p50 %s (max %s)",
				n, len(held), h50, held[len(held)-1], t50, took[len(took)-1])
			holds = append(holds, h50)
		})
	}
	if len(holds) == len(sizes) && len(holds) > 1 {
		b.Logf("median hold at %d leaves / at %d leaves: %.2f", sizes[len(sizes)-1], sizes[0], float64(holds[len(holds)-1])/float64(holds[0]))
	}
}

// stallSizes returns OMADATA_BENCH_STALL_LEAVES, by default 1e4 and 1e5.
func stallSizes(b *testing.B) []int {
	v := os.Getenv("OMADATA_BENCH_STALL_LEAVES")
	if v == "" {
		return []int{10_000, 100_000}
	}
	var sizes []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.ParseFloat(f, 64)
		if err != nil || n < 1 {
			b.Fatalf("OMADATA_BENCH_STALL_LEAVES=%q: want numbers of leaves, comma-separated", v)
		}
		sizes = append(sizes, int(n))
	}
	return sizes
}
