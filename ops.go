// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// Backlog is the work waiting in the operator's database, counted at one
// moment, for /metrics: what a city's monitoring alerts on (the
// transparency log falling behind, webhook deliveries piling up or given
// up). Every instance on one database reports the same.
type Backlog struct {
	CheckpointSize     int64     // leaves in the latest checkpoint
	CheckpointAt       time.Time // when it was signed; zero before the first
	UnintegratedLeaves int64     // leaves appended but in no checkpoint yet
	WebhookPending     int64     // deliveries neither delivered nor dead
	WebhookDue         int64     // of those, due now or overdue
	WebhookOldestDue   time.Time // the earliest due time of a pending delivery; zero when none
	WebhookDead        int64     // deliveries given up (dead letters), until redelivered
	// StalePermits is the stale-permit canary: permits decided more than
	// StalePermitMargin after their consent's withdrawal or revocation,
	// among the withdrawals and revocations of the last StalePermitWindow.
	// Always 0, unless a decision read a consent's state from before an
	// acknowledged withdrawal (a cache, a replica): product invariant 2.
	StalePermits int64
}

// The stale-permit canary's bounds. The margin leaves out a permit decided
// while the withdrawal was still committing (legitimate: the withdrawal
// was not acknowledged yet); a withdrawal takes milliseconds to commit.
const (
	StalePermitWindow = time.Hour
	StalePermitMargin = 10 * time.Second
)

// BacklogService counts the backlog.
type BacklogService interface {
	// Backlog counts the backlog now. Only an operator admin may:
	// EFORBIDDEN for everyone else.
	Backlog(ctx context.Context) (*Backlog, error)
}
