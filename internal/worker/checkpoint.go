// SPDX-License-Identifier: Apache-2.0

package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/omadata/omadata"
)

// DefaultCheckpointInterval is how often new log leaves are integrated and
// a checkpoint signed: under load, at least one checkpoint a second.
const DefaultCheckpointInterval = 500 * time.Millisecond

// LogIntegrator puts appended leaves into the tree and signs checkpoints.
// The store implements it as part of omadata.LogService.
type LogIntegrator interface {
	IntegrateLog(ctx context.Context) (*omadata.Checkpoint, error)
}

// Checkpointer calls IntegrateLog at once and then every Interval; each
// call integrates up to the store's batch of leaves (20,000), in
// transactions of 256 that each sign a checkpoint (docs/transparency-log.md).
type Checkpointer struct {
	Log      LogIntegrator
	Interval time.Duration // 0 means DefaultCheckpointInterval
	Logger   *slog.Logger  // nil discards
	// Signed, if set, hears of every new checkpoint.
	Signed func(*omadata.Checkpoint)
}

// Run integrates until ctx ends; a run in progress then finishes first.
func (c *Checkpointer) Run(ctx context.Context) {
	interval := c.Interval
	if interval <= 0 {
		interval = DefaultCheckpointInterval
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	work := context.WithoutCancel(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		cp, err := c.Log.IntegrateLog(work)
		if err != nil {
			log.Error("integrate log", "err", err)
		} else if cp != nil {
			log.Debug("checkpoint signed", "size", cp.Size)
			if c.Signed != nil {
				c.Signed(cp)
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
