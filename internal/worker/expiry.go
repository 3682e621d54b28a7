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
	interval := e.Interval
	if interval <= 0 {
		interval = DefaultExpiryInterval
	}
	log := e.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	work := context.WithoutCancel(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := e.Consents.ExpireConsents(work); err != nil {
			log.Error("expire consents", "err", err)
		} else if n > 0 {
			log.Info("consents expired", "count", n)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
