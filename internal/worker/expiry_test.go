// SPDX-License-Identifier: Apache-2.0

package worker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/worker"
)

// expirer counts calls and can hold one open.
type expirer struct {
	mu    sync.Mutex
	calls int
	ctxs  []context.Context
	hold  chan struct{}
	fail  bool
}

func (e *expirer) ExpireConsents(ctx context.Context) (int, error) {
	e.mu.Lock()
	e.calls++
	e.ctxs = append(e.ctxs, ctx)
	hold, fail := e.hold, e.fail
	e.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if fail {
		return 0, errors.New("database down")
	}
	return 1, nil
}

func (e *expirer) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

func admin() context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
}

func TestExpiryTicks(t *testing.T) {
	for _, fail := range []bool{false, true} {
		e := &expirer{fail: fail}
		ctx, cancel := context.WithCancel(admin())
		done := make(chan struct{})
		go func() { (&worker.Expiry{Consents: e, Interval: 5 * time.Millisecond}).Run(ctx); close(done) }()
		deadline := time.Now().Add(5 * time.Second)
		for e.count() < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("fail=%v: got %d calls in 5 s, want at least 3", fail, e.count())
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		<-done
		n := e.count()
		time.Sleep(20 * time.Millisecond)
		if e.count() != n {
			t.Fatalf("fail=%v: called after Run returned", fail)
		}
		if c := omadata.CallerFromContext(e.ctxs[0]); !c.IsAdmin() {
			t.Fatalf("fail=%v: got caller %+v, want the admin caller of Run's context", fail, c)
		}
	}
}

// TestExpiryFinishesRun: cancelling waits for a run in progress, which is
// not cancelled with it.
func TestExpiryFinishesRun(t *testing.T) {
	e := &expirer{hold: make(chan struct{})}
	ctx, cancel := context.WithCancel(admin())
	done := make(chan struct{})
	go func() { (&worker.Expiry{Consents: e, Interval: time.Hour}).Run(ctx); close(done) }()
	for e.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned during a run")
	case <-time.After(50 * time.Millisecond):
	}
	e.mu.Lock()
	if err := e.ctxs[0].Err(); err != nil {
		t.Errorf("the run's context was cancelled: %v", err)
	}
	e.mu.Unlock()
	close(e.hold)
	<-done
}
