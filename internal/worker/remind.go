// SPDX-License-Identifier: Apache-2.0

package worker

import (
	"context"
	"log/slog"
	"time"
)

// DefaultRemindInterval is how often requests are checked for reminders
// and open tasks for resending.
const DefaultRemindInterval = 10 * time.Minute

// RequestReminder sends the reminders of data-subject requests that are
// due. The store implements it as part of omadata.RequestService.
type RequestReminder interface {
	RemindRequests(ctx context.Context) (int, error)
}

// Reminders calls RemindRequests at once and then every Interval. What is
// due is read from the database and marked there in the same transaction,
// so several instances running it send each reminder once.
type Reminders struct {
	Requests RequestReminder
	Interval time.Duration // 0 means DefaultRemindInterval
	Logger   *slog.Logger  // nil discards
}

// Run sends reminders until ctx ends; a run in progress then finishes
// before Run returns. ctx must carry the operator's admin caller.
func (r *Reminders) Run(ctx context.Context) {
	every(ctx, r.Interval, DefaultRemindInterval, r.Logger, "remind requests", "request reminders sent", r.Requests.RemindRequests)
}
