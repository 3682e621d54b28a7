// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestOpenLoopCountsStallsAsLatency(t *testing.T) {
	// One slow operation at the start must delay the latency of those
	// scheduled behind it when only one may run at a time.
	op := func(ctx context.Context, i int) error {
		if i == 0 {
			time.Sleep(50 * time.Millisecond)
		}
		return nil
	}
	r := OpenLoop(context.Background(), 1000, 100*time.Millisecond, 1, op)
	if r.Ops != 100 {
		t.Fatalf("got %d ops, want 100", r.Ops)
	}
	// Half the operations were due during the 50 ms stall; the one due
	// just after the stall began waited almost all of it.
	if r.P99 < 40*time.Millisecond {
		t.Fatalf("got p99 %v: the stall was hidden (coordinated omission)", r.P99)
	}
}

func TestOpenLoopErrors(t *testing.T) {
	op := func(ctx context.Context, i int) error {
		if i%2 == 0 {
			return errors.New("no")
		}
		return nil
	}
	r := OpenLoop(context.Background(), 2000, 50*time.Millisecond, 8, op)
	if r.Errors != r.Ops/2 {
		t.Fatalf("got %d errors of %d ops, want half", r.Errors, r.Ops)
	}
}

func TestSustainedFindsTheLimit(t *testing.T) {
	// An operation that takes 1 ms on one worker cannot exceed ~1000/s. The
	// p99 bound is loose, so that a machine busy with other tests (go test
	// runs packages in parallel) does not fail the start rate.
	op := func(ctx context.Context, i int) error { time.Sleep(time.Millisecond); return nil }
	best, probes := Sustained(context.Background(), 100, 100*time.Millisecond, 60*time.Millisecond, 1, op)
	if best.Target < 100 || best.Target > 1100 || len(probes) < 2 {
		t.Fatalf("got best %v after %d probes, want a limit near 1000/s", best, len(probes))
	}
}

func TestClosedLoop(t *testing.T) {
	op := func(ctx context.Context, i int) error { time.Sleep(time.Millisecond); return nil }
	r := ClosedLoop(context.Background(), 4, 100*time.Millisecond, op)
	if r.Ops < 100 || r.Achieved < 1000 {
		t.Fatalf("got %v with 4 clients of 1 ms ops, want about 4000/s", r)
	}
}

func TestClosedLoopStopsWhenExhausted(t *testing.T) {
	var left atomic.Int64
	left.Store(50)
	op := func(ctx context.Context, i int) error {
		if left.Add(-1) < 0 {
			return ErrExhausted
		}
		return nil
	}
	r := ClosedLoop(context.Background(), 4, time.Minute, op)
	if r.Ops != 50 || r.Errors != 0 || !r.Exhausted {
		t.Fatalf("got %d ops, %d errors, exhausted %v; want 50, 0, true, well before the minute", r.Ops, r.Errors, r.Exhausted)
	}
}

func TestSustainedRetriesAStall(t *testing.T) {
	// The first probe stalls once; it is run again, so the start rate still
	// counts as sustained.
	// The stall is far longer than the bound, and the bound far longer than
	// a busy machine's scheduling delays.
	var stalled atomic.Bool
	op := func(ctx context.Context, i int) error {
		if i == 5 && !stalled.Swap(true) {
			time.Sleep(120 * time.Millisecond)
		}
		return nil
	}
	best, probes := Sustained(context.Background(), 200, 300*time.Millisecond, 50*time.Millisecond, 64, op)
	if len(probes) < 2 || probes[0].P99 < 50*time.Millisecond || probes[1].Target != probes[0].Target {
		t.Fatalf("got probes %v, want the stalled first probe run again at its rate", probes)
	}
	// The retry itself can fall short of the rate on a loaded machine (it
	// then counts as failed, rightly); when it held, the start rate stands.
	if retry := probes[1]; retry.P99 <= 50*time.Millisecond && retry.Achieved >= 0.95*retry.Target && best.Target < 200 {
		t.Fatalf("got best %v after probes %v, want the start rate kept after a retried stall", best, probes)
	}
}

func TestOpenLoopCountsAStallOfEveryWorker(t *testing.T) {
	// With many workers, a stall of the service they all call (a gate shut
	// for 60 ms) must still show: the operations due during it are
	// measured from when they were due, not from when a worker took them.
	gate := make(chan struct{})
	go func() { time.Sleep(40 * time.Millisecond); time.Sleep(60 * time.Millisecond); close(gate) }()
	var started atomic.Int64
	op := func(ctx context.Context, i int) error {
		if started.Add(1) > 40 { // from about the 40th ms on
			<-gate
		}
		return nil
	}
	r := OpenLoop(context.Background(), 1000, 200*time.Millisecond, 16, op)
	if r.Ops != 200 || r.Errors != 0 {
		t.Fatalf("got %v, want 200 operations without errors", r)
	}
	// About 60 of the 200 were due during the stall: the p99 waited
	// nearly all of it, as did the longest.
	if r.P99 < 40*time.Millisecond || r.Max < 50*time.Millisecond {
		t.Fatalf("got p99 %v, max %v: the stall of every worker was hidden", r.P99, r.Max)
	}
}

func TestOpenLoopReleasesEveryOperationOnce(t *testing.T) {
	// At a rate far above the dispatcher's tick, operations are released
	// in bulk: each index still runs exactly once.
	var seen [2000]atomic.Int32
	op := func(ctx context.Context, i int) error { seen[i].Add(1); return nil }
	r := OpenLoop(context.Background(), 20000, 100*time.Millisecond, 8, op)
	if r.Ops != 2000 {
		t.Fatalf("got %d ops, want 2000", r.Ops)
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("operation %d ran %d times, want once", i, n)
		}
	}
}

func TestOpenLoopStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := OpenLoop(ctx, 1000, time.Minute, 4, func(ctx context.Context, i int) error { return nil })
	if r.Ops < 10 || r.Ops > 1000 {
		t.Fatalf("got %d ops, want those due in the 50 ms before the cancel", r.Ops)
	}
}
