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
	// RequestsDue counts data-subject requests by due date, from Since's
	// day to the last day a request received today can be due.
	RequestsDue []OverviewDue `json:"requests_due"`
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
}

// OverviewDue is the data-subject requests due on one day: still open,
// or answered.
type OverviewDue struct {
	Day    time.Time `json:"day"`
	Open   int       `json:"open"`
	Closed int       `json:"closed"`
}

// OverviewService counts the operator's activity.
type OverviewService interface {
	// Overview counts decisions and consents given and withdrawn per day
	// from since's day to today in since's location, data-subject requests
	// by due date from since's day on, the log's size and the webhook
	// backlog.
	// Only an operator admin or the auditor sees it: EFORBIDDEN for others.
	Overview(ctx context.Context, since time.Time) (*Overview, error)
}
