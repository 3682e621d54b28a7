// SPDX-License-Identifier: Apache-2.0

package phase

import (
	"context"
	"testing"
	"time"
)

func TestMarkAddsTheTimeSinceTheLastMark(t *testing.T) {
	Enable(true)
	defer Enable(false)
	tm := Start()
	ctx := NewContext(context.Background(), tm)
	time.Sleep(2 * time.Millisecond)
	Mark(ctx, Auth)
	Mark(ctx, Decode)
	time.Sleep(3 * time.Millisecond)
	Mark(ctx, Query)
	Mark(ctx, Auth) // a phase marked twice adds up
	if tm.Phases[Auth] < 2*time.Millisecond || tm.Phases[Query] < 3*time.Millisecond || tm.Phases[Decode] >= time.Millisecond {
		t.Fatalf("got phases %v, want auth ≥ 2ms, query ≥ 3ms, decode < 1ms", tm.Phases)
	}
	var sum time.Duration
	for _, d := range tm.Phases {
		sum += d
	}
	if sum != tm.Total() {
		t.Fatalf("phases add up to %v, total %v", sum, tm.Total())
	}
}

func TestMarkIsOffUnlessEnabled(t *testing.T) {
	tm := Start()
	ctx := NewContext(context.Background(), tm)
	time.Sleep(time.Millisecond)
	Mark(ctx, Auth)
	if tm.Phases[Auth] != 0 {
		t.Fatalf("got %v with timing off, want nothing marked", tm.Phases)
	}
	Enable(true)
	defer Enable(false)
	Mark(context.Background(), Auth) // no Timer: nothing to do, no panic
	Mark(ctx, Auth)
	if tm.Phases[Auth] < time.Millisecond {
		t.Fatalf("got %v with timing on, want auth marked", tm.Phases)
	}
}

// BenchmarkMarkOff is the cost of a mark on the request path when the
// bench has not enabled timing: what every production request pays.
func BenchmarkMarkOff(b *testing.B) {
	ctx := NewContext(context.Background(), Start())
	for b.Loop() {
		Mark(ctx, Query)
	}
}

// BenchmarkMarkOn is the cost of a mark with timing on, in a context a
// few values deep like a request's.
func BenchmarkMarkOn(b *testing.B) {
	Enable(true)
	defer Enable(false)
	ctx := NewContext(context.Background(), Start())
	for i := range 6 {
		ctx = context.WithValue(ctx, i, i)
	}
	for b.Loop() {
		Mark(ctx, Query)
	}
}
