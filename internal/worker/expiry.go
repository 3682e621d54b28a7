// SPDX-License-Identifier: Apache-2.0

// Package worker runs the operator's periodic jobs beside the server.
package worker

import (
	"context"
	"log/slog"
	"time"
)

// DefaultExpiryInterval is how often consents are checked for expiry.
const DefaultExpiryInterval = 30 * time.Second

// ConsentExpirer records the expiry of consents whose validity has passed.
// The store implements it as part of omadata.ConsentService.
type ConsentExpirer interface {
	ExpireConsents(ctx context.Context) (int, error)
}

// Expiry calls ExpireConsents at once and then every Interval. Decisions
// never rely on it: they check validity windows themselves, so a late run
// only delays the consent.expired record and its webhook.
type Expiry struct {
	Consents ConsentExpirer
	Interval time.Duration // 0 means DefaultExpiryInterval
	Logger   *slog.Logger  // nil discards
}

// Run expires consents until ctx ends; a run in progress then finishes
// before Run returns. ctx must carry the operator's admin caller.
func (e *Expiry) Run(ctx context.Context) {
	every(ctx, e.Interval, DefaultExpiryInterval, e.Logger, "expire consents", "consents expired", e.Consents.ExpireConsents)
}

// every calls job at once and then every interval (def when interval is
// 0) until ctx ends, logging its errors under failed and what it did
// under done; a run in progress then finishes, on a context ctx's end
// does not cancel.
func every(ctx context.Context, interval, def time.Duration, log *slog.Logger, failed, done string, job func(context.Context) (int, error)) {
	if interval <= 0 {
		interval = def
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	work := context.WithoutCancel(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := job(work); err != nil {
			log.Error(failed, "err", err)
		} else if n > 0 {
			log.Info(done, "count", n)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
