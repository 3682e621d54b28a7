// SPDX-License-Identifier: Apache-2.0

package worker_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/worker"
)

type reminder struct {
	calls atomic.Int32
	admin atomic.Bool
}

func (r *reminder) RemindRequests(ctx context.Context) (int, error) {
	r.calls.Add(1)
	r.admin.Store(omadata.CallerFromContext(ctx).IsAdmin())
	return 0, nil
}

// TestRemindersTick: reminders run at once and then every interval, as
// the admin caller of Run's context, until it ends.
func TestRemindersTick(t *testing.T) {
	r := &reminder{}
	ctx, cancel := context.WithCancel(admin())
	done := make(chan struct{})
	go func() { (&worker.Reminders{Requests: r, Interval: 5 * time.Millisecond}).Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for r.calls.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("got %d calls in 5 s, want at least 3", r.calls.Load())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if !r.admin.Load() {
		t.Fatal("not called as the admin caller")
	}
}
