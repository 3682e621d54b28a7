// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// Overview is the operator's activity at a glance, day by day: what the
// console's front page draws.
type Overview struct {
	Since time.Time     `json:"since"`
	Days  []OverviewDay `json:"days"` // one per day from Since's day to today, in Since's location
	// LogSize is the size of the transparency log at its latest checkpoint,
	// LogSizeBefore at the latest checkpoint before Since (0 if none).
	LogSize        int64      `json:"log_size"`
	LogSizeBefore  int64      `json:"log_size_before"`
	LastCheckpoint *time.Time `json:"last_checkpoint,omitempty"`
	// The webhook backlog: deliveries waiting to be sent, and dead letters.
	PendingDeliveries int `json:"pending_deliveries"`
	DeadDeliveries    int `json:"dead_deliveries"`
}

// OverviewDay is one day's counts.
type OverviewDay struct {
	Day               time.Time `json:"day"` // midnight, in the Overview's location
	Permits           int       `json:"permits"`
	Denies            int       `json:"denies"`
	ConsentsGiven     int       `json:"consents_given"`
	ConsentsWithdrawn int       `json:"consents_withdrawn"`
	// Data-subject requests due that day: still open, or answered.
	RequestsOpen   int `json:"requests_open"`
	RequestsClosed int `json:"requests_closed"`
}

// OverviewService counts the operator's activity.
type OverviewService interface {
	// Overview counts decisions, consents given and withdrawn, and
	// data-subject requests by due date, per day from since's day to today
	// in since's location, with the log's size and the webhook backlog.
	// Only an operator admin or the auditor sees it: EFORBIDDEN for others.
	Overview(ctx context.Context, since time.Time) (*Overview, error)
}
