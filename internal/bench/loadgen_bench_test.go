// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// openLoopPerOp is the open-loop generator before issue 19, kept as the
// reference BenchmarkGenerators compares OpenLoop with: it slept until
// each operation was due and started a goroutine for it.
func openLoopPerOp(ctx context.Context, rate float64, d time.Duration, maxInFlight int, op Op) Result {
	n := max(1, int(rate*d.Seconds()))
	interval := time.Duration(float64(time.Second) / rate)
	lat := make([]time.Duration, n)
	var errs atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxInFlight)
	start := time.Now()
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int, at time.Time) {
			defer func() { <-sem; wg.Done() }()
			if err := op(ctx, i); err != nil {
				errs.Add(1)
			}
			lat[i] = time.Since(at)
		}(i, at)
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return Result{Target: rate, Ops: n, Errors: int(errs.Load()), Achieved: float64(n) / elapsed.Seconds(), P50: lat[n/2], P99: lat[min(n-1, n*99/100)], Max: lat[n-1]}
}

// BenchmarkGenerators drives the bare handler in open loop with the old
// and the new generator at the same rates, alternately: the p99 and the
// rate done say which generator limits the bare handler's capacity.
// Run with -benchtime 1x (each iteration is a 2 s probe).
func BenchmarkGenerators(b *testing.B) {
	url, stop, err := BareHTTP()
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	c := Client()
	op := PostOp(c, url, nil, 200, func(int) []byte { return []byte(`{"pseudonym":"psn_x","data_group_ids":["dg_x"]}`) })
	for _, rate := range []float64{2000, 4000, 8000} {
		for _, g := range []struct {
			name string
			run  func(context.Context, float64, time.Duration, int, Op) Result
		}{{"per-op", openLoopPerOp}, {"pool", OpenLoop}} {
			b.Run(fmt.Sprintf("%.0f/%s", rate, g.name), func(b *testing.B) {
				var r Result
				for b.Loop() {
					r = g.run(context.Background(), rate, 2*time.Second, maxInFlight, op)
				}
				b.ReportMetric(float64(r.P99.Microseconds()), "p99-µs")
				b.ReportMetric(float64(r.P50.Microseconds()), "p50-µs")
				b.ReportMetric(r.Achieved/r.Target, "done/offered")
			})
		}
	}
}
