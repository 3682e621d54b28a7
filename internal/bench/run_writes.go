// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/omadata/omadata/internal/store"
)

// runWrites runs W2 (give) or W3 (withdraw, then decide) with one and
// with 32 clients, each right after the bare synced insert with as many
// clients on the same engine.
func runWrites(ctx context.Context, r *Report, s *store.Store, d *Dataset, probe time.Duration, w string) error {
	var stale atomic.Int64
	var op Op
	name := "W2 give consent"
	if w == W2 {
		op = GiveOp(s, d)
	} else {
		op = WithdrawOp(s, d, &stale)
		name = "W3 withdraw, then decide at once"
	}
	big := sqliteBigTarget
	if d.Engine == "postgres" {
		big = pgBigTarget
	}
	for _, clients := range []int{1, bigClients} {
		base, err := bareInsert(ctx, r, s, clients, probe)
		if err != nil {
			return err
		}
		var errs firstError
		res := ClosedLoop(ctx, clients, probe, errs.wrap(op))
		r.probe("%s, %d clients: %v", w, clients, res)
		errs.note(r, fmt.Sprintf("%s with %d clients", w, clients))
		f := Figure{Workload: name, Measure: fmt.Sprintf("%d client(s), closed loop", clients), Value: res.Achieved, Unit: "/s", P50: res.P50, P99: res.P99,
			Baseline: base.Achieved, BaselineName: fmt.Sprintf("bare synced insert, %d client(s)", clients), P99Baseline: base.P99}
		if clients == 1 {
			f.Target, f.Met = fmt.Sprintf("≥ %.1f of bare", oneClientRatio), met(res.Errors == 0 && f.Ratio() >= oneClientRatio)
		} else {
			f.Target, f.Met = fmt.Sprintf("≥ %.0f/s", big), met(res.Errors == 0 && res.Achieved >= big)
		}
		if w == W3 {
			f.Note = "an operation is a withdrawal and a decision, two synced commits"
		}
		if res.Errors > 0 {
			f.Note = join(f.Note, fmt.Sprintf("%d of %d operations failed", res.Errors, res.Ops))
		}
		if res.Exhausted {
			f.Note = join(f.Note, "the pool of residents ran out before the time was up")
		}
		r.add(f)
	}
	if w == W3 {
		n := stale.Load()
		r.add(Figure{Workload: "W3 stale permits", Measure: "permits after an acknowledged withdrawal", Value: float64(n), Target: "0, ever", Met: met(n == 0)})
	}
	return nil
}

// runGrants runs W4, grant and transfer, with one and with 32 clients; the
// issue sets it no target, so it is reported beside the bare synced insert
// for scale.
func runGrants(ctx context.Context, r *Report, s *store.Store, d *Dataset, probe time.Duration) error {
	op := GrantOp(s, d)
	for _, clients := range []int{1, bigClients} {
		base, err := bareInsert(ctx, r, s, clients, probe)
		if err != nil {
			return err
		}
		var errs firstError
		res := ClosedLoop(ctx, clients, probe, errs.wrap(op))
		r.probe("W4, %d clients: %v", clients, res)
		errs.note(r, fmt.Sprintf("W4 with %d clients", clients))
		f := Figure{Workload: "W4 grant + transfer", Measure: fmt.Sprintf("%d client(s), closed loop", clients), Value: res.Achieved, Unit: "/s",
			P50: res.P50, P99: res.P99, Baseline: base.Achieved, BaselineName: fmt.Sprintf("bare synced insert, %d client(s)", clients), P99Baseline: base.P99,
			Note: "an operation is a grant and a transfer, two synced commits"}
		if res.Errors > 0 {
			f.Note = join(f.Note, fmt.Sprintf("%d of %d operations failed", res.Errors, res.Ops))
		}
		r.add(f)
	}
	return nil
}

// bareInsert measures the bare synced insert with clients in a closed loop.
func bareInsert(ctx context.Context, r *Report, s *store.Store, clients int, probe time.Duration) (Result, error) {
	insert, err := BareInsert(ctx, s.DB()) // a new run: its IDs do not collide with the last one's
	if err != nil {
		return Result{}, err
	}
	var errs firstError
	res := ClosedLoop(ctx, clients, probe, errs.wrap(insert))
	r.probe("bare synced insert, %d clients: %v", clients, res)
	errs.note(r, fmt.Sprintf("bare synced insert with %d clients", clients))
	return res, nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
