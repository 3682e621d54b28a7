// SPDX-License-Identifier: Apache-2.0

// Package phase times the phases of one request for the bench: a Timer
// rides in the request's context and each Mark adds the time since the
// last mark to one phase. It is off unless the bench enables it, and then
// costs one atomic load per mark; with it off no Timer is ever made.
package phase

import (
	"context"
	"sync/atomic"
	"time"
)

// Kind names a phase of a decision.
type Kind uint8

// The phases of a decision, in the order they happen. A mark ends the
// phase it names.
const (
	Auth    Kind = iota // from the handler's entry: routing, rate limits, the credential
	Decode              // reading, decoding and validating the body
	Query               // the facts (and the relay lookup)
	Leaf                // the verdict, the evidence and the log leaf's statements
	Write               // waiting for and holding the writer, commit and sync
	Respond             // encoding and writing the answer
	Kinds               // how many kinds there are
)

var names = [Kinds]string{"auth", "decode", "query", "leaf", "write", "respond"}

func (k Kind) String() string {
	if k < Kinds {
		return names[k]
	}
	return "?"
}

var enabled atomic.Bool

// Enable turns timing on or off for the whole process. Only the bench
// turns it on.
func Enable(on bool) { enabled.Store(on) }

// Enabled reports whether timing is on.
func Enabled() bool { return enabled.Load() }

// Timer holds one request's phases. It belongs to the request's goroutine.
type Timer struct {
	start, last time.Time
	Phases      [Kinds]time.Duration
}

// Start returns a Timer started now.
func Start() *Timer {
	now := time.Now()
	return &Timer{start: now, last: now}
}

// Mark adds the time since the last mark (or the start) to phase k.
func (t *Timer) Mark(k Kind) {
	now := time.Now()
	t.Phases[k] += now.Sub(t.last)
	t.last = now
}

// Total returns the time from the start to the last mark.
func (t *Timer) Total() time.Duration { return t.last.Sub(t.start) }

type key struct{}

// NewContext returns ctx carrying t.
func NewContext(ctx context.Context, t *Timer) context.Context {
	return context.WithValue(ctx, key{}, t)
}

// Mark ends phase k of the request of ctx, when timing is on and ctx
// carries a Timer; otherwise it does nothing.
func Mark(ctx context.Context, k Kind) {
	if !enabled.Load() {
		return
	}
	if t, ok := ctx.Value(key{}).(*Timer); ok {
		t.Mark(k)
	}
}
