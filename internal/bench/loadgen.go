// SPDX-License-Identifier: Apache-2.0

// Package bench measures omadata's workloads against baselines run in the
// same process, on the same machine, at the same time, so that figures are
// ratios that survive a noisy shared machine.
package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Op is one operation of a workload. It returns an error when the operation
// failed; a deny is not a failure.
type Op func(ctx context.Context, i int) error

// ErrExhausted is what an operation returns when its input has run out
// (the residents of a write pool): ClosedLoop stops that client and does
// not count the operation.
var ErrExhausted = errors.New("bench: input exhausted")

// Result is what an open-loop run measured.
type Result struct {
	Target   float64       // offered operations per second
	Achieved float64       // completed operations per second
	Ops      int           // completed operations
	Errors   int           // failed operations
	P50, P99 time.Duration // latency from each operation's scheduled start
	Max      time.Duration
	// Exhausted is set when a closed loop's clients ran out of input
	// before the time was up; the figures cover the shorter run.
	Exhausted bool
}

func (r Result) String() string {
	return fmt.Sprintf("%.0f/s offered, %.0f/s done, p50 %v, p99 %v, %d errors", r.Target, r.Achieved, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Errors)
}

// OpenLoop offers op at a fixed rate for d, whatever the latency, and
// measures each operation from the moment it was scheduled, not from when a
// worker got to it, so a stall shows up in the latencies instead of quietly
// lowering the offered load (no coordinated omission).
//
// A fixed pool of maxInFlight workers runs the operations. One dispatcher
// releases every operation that is due, waking at most every tick, so
// that at high rates it releases them in bulk instead of sleeping once per
// operation: at 10,000/s a sleep per operation costs more than the
// operation's share of two cores. An operation released late by up to a
// tick counts that delay in its latency. Operations due while every worker
// is busy wait in the queue, and their wait counts too.
func OpenLoop(ctx context.Context, rate float64, d time.Duration, maxInFlight int, op Op) Result {
	n := int(rate * d.Seconds())
	if n < 1 {
		n = 1
	}
	interval := float64(time.Second) / rate
	lat := make([]time.Duration, n)
	var errs atomic.Int64
	var wg sync.WaitGroup
	due := make(chan int, n)
	start := time.Now()
	at := func(i int) time.Time { return start.Add(time.Duration(float64(i) * interval)) }
	for range min(maxInFlight, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range due {
				if err := op(ctx, i); err != nil {
					errs.Add(1)
				}
				lat[i] = time.Since(at(i))
			}
		}()
	}
	released := 0
	for released < n && ctx.Err() == nil {
		upto := min(n, int(float64(time.Since(start))/interval)+1)
		for ; released < upto; released++ {
			due <- released
		}
		if released < n {
			time.Sleep(max(time.Until(at(released)), dispatchTick))
		}
	}
	close(due)
	wg.Wait()
	elapsed := time.Since(start)
	n = released
	lat = lat[:n]
	slices.Sort(lat)
	r := Result{Target: rate, Ops: n, Errors: int(errs.Load()), Achieved: float64(n) / elapsed.Seconds()}
	if n > 0 {
		r.P50, r.P99, r.Max = lat[n*50/100], lat[min(n-1, n*99/100)], lat[n-1]
	}
	return r
}

// dispatchTick is the shortest sleep of OpenLoop's dispatcher.
const dispatchTick = 200 * time.Microsecond

// Sustained finds the highest offered rate that op keeps up with: achieved
// within 5% of offered and p99 under maxP99. It doubles the rate from start
// until a run fails, then bisects between the last good and the first bad
// rate a few times. Each probe lasts d. On a shared machine one stall of a
// neighbour can fail a probe on its p99, so a probe that kept up with the
// rate but missed the p99 is run once more, and the rate counts as failed
// only if it fails twice.
func Sustained(ctx context.Context, start float64, d time.Duration, maxP99 time.Duration, maxInFlight int, op Op) (best Result, probes []Result) {
	good := func(r Result) bool {
		return r.Achieved >= 0.95*r.Target && r.P99 <= maxP99 && r.Errors == 0
	}
	try := func(rate float64) (Result, bool) {
		r := OpenLoop(ctx, rate, d, maxInFlight, op)
		probes = append(probes, r)
		if good(r) || r.Errors > 0 || r.Achieved < 0.95*r.Target {
			return r, good(r)
		}
		r = OpenLoop(ctx, rate, d, maxInFlight, op)
		probes = append(probes, r)
		return r, good(r)
	}
	lo, hi := 0.0, 0.0
	for rate := start; ctx.Err() == nil; rate *= 2 {
		r, ok := try(rate)
		if !ok {
			hi = rate
			break
		}
		lo, best = rate, r
		if rate > 5e6 {
			return best, probes
		}
	}
	for i := 0; i < 4 && hi > 0 && hi-lo > lo*0.05; i++ {
		mid := (lo + hi) / 2
		if r, ok := try(mid); ok {
			lo, best = mid, r
		} else {
			hi = mid
		}
	}
	return best, probes
}

// ClosedLoop runs op from clients goroutines back to back for d and returns
// the throughput and latency percentiles; the write workloads' "with one
// client" and "with 32 clients" figures come from it.
func ClosedLoop(ctx context.Context, clients int, d time.Duration, op Op) Result {
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	var next atomic.Int64
	var exhausted atomic.Bool
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				i := int(next.Add(1))
				t := time.Now()
				if err := op(context.WithoutCancel(ctx), i); errors.Is(err, ErrExhausted) {
					exhausted.Store(true)
					break
				} else if err != nil {
					errs.Add(1)
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	n := len(lat)
	r := Result{Ops: n, Errors: int(errs.Load()), Achieved: float64(n) / elapsed.Seconds(), Exhausted: exhausted.Load()}
	r.Target = r.Achieved
	if n > 0 {
		r.P50, r.P99, r.Max = lat[n*50/100], lat[min(n-1, n*99/100)], lat[n-1]
	}
	return r
}
