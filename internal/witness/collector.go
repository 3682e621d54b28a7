// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
)

// DefaultTimeout is the collector's time limit per witness
// (docs/witnessing.md §3, §8).
const DefaultTimeout = 5 * time.Second

// WitnessSource lists the witnesses of the operator's log, in order
// (docs/witnessing.md §3).
type WitnessSource interface {
	Witnesses(ctx context.Context) ([]omadata.WitnessRef, error)
}

// Collector asks every witness to cosign the operator's latest checkpoint
// and stores the cosignatures that verify (docs/witnessing.md §3).
type Collector struct {
	Log       omadata.LogService
	Store     omadata.WitnessService
	Witnesses WitnessSource
	Client    *Client
	Logger    *slog.Logger
	Timeout   time.Duration // per witness; 0: DefaultTimeout
}

// Run calls RunOnce every interval until ctx ends (docs/witnessing.md §3,
// OMADATA_WITNESS_INTERVAL).
func (c *Collector) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := c.RunOnce(ctx); err != nil && ctx.Err() == nil {
			c.logger().ErrorContext(ctx, "witness: collect", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce runs one round (docs/witnessing.md §3): every witness whose
// last cosigned size is below the latest checkpoint's is asked
// concurrently, each within its own timeout, so that a slow witness
// delays no other. It returns when all are done; a witness's failure is
// recorded in its progress and logged, not returned.
func (c *Collector) RunOnce(ctx context.Context) error {
	cp, err := c.Log.LatestCheckpoint(ctx)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return nil
	} else if err != nil {
		return fmt.Errorf("latest checkpoint: %w", err)
	}
	ws, err := c.Witnesses.Witnesses(ctx)
	if err != nil {
		return fmt.Errorf("witnesses: %w", err)
	}
	ps, err := c.Store.WitnessProgress(ctx)
	if err != nil {
		return fmt.Errorf("witness progress: %w", err)
	}
	progress := map[string]*omadata.WitnessProgress{}
	for _, p := range ps {
		progress[p.Witness] = p
	}
	var wg sync.WaitGroup
	for _, w := range ws {
		p := progress[w.Name]
		if p == nil {
			p = &omadata.WitnessProgress{Witness: w.Name}
		}
		if p.CosignedAt != nil && p.Size >= cp.Size {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.collect(ctx, w, p, cp)
		}()
	}
	wg.Wait()
	return nil
}

func (c *Collector) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// collect asks one witness and records the outcome in its progress.
func (c *Collector) collect(ctx context.Context, w omadata.WitnessRef, p *omadata.WitnessProgress, cp *omadata.Checkpoint) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	n, err := c.cosign(wctx, w, p.Size, cp)
	cancel()
	now := time.Now().UTC()
	next := &omadata.WitnessProgress{Witness: w.Name, Size: p.Size, CosignedAt: p.CosignedAt, TriedAt: &now}
	if err != nil {
		next.LastError = err.Error()
		c.logger().WarnContext(ctx, "witness: no cosignature", "witness", w.Name, "url", w.URL, "size", cp.Size, "error", err)
	} else {
		next.Size, next.CosignedAt = cp.Size, &now
		c.logger().DebugContext(ctx, "witness: cosigned", "witness", w.Name, "size", cp.Size, "lines", n)
	}
	// The store writes use ctx, not the witness's timeout, so that a
	// timeout is recorded too.
	if err := c.Store.SetWitnessProgress(ctx, next); err != nil {
		c.logger().ErrorContext(ctx, "witness: progress", "witness", w.Name, "error", err)
	}
}

// cosign sends old (then, on 409, the witness's size, once), verifies the
// lines returned with the witness's key and stores those that verify.
func (c *Collector) cosign(ctx context.Context, w omadata.WitnessRef, old int64, cp *omadata.Checkpoint) (int, error) {
	v, err := NewCosignatureVerifier(w.VerifierKey)
	if err != nil {
		return 0, fmt.Errorf("witness %s: %w", w.Name, err)
	}
	text, _, err := splitNote([]byte(cp.Note))
	if err != nil {
		return 0, fmt.Errorf("own checkpoint %d: %w", cp.Size, err)
	}
	if old > cp.Size {
		old = 0 // the witness answers 409 with its size
	}
	var lines []string
	for attempt := 0; ; attempt++ {
		req, err := c.request(ctx, old, cp)
		if err != nil {
			return 0, err
		}
		lines, err = c.Client.AddCheckpoint(ctx, w.URL, req)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt == 0 && conflict.Size <= cp.Size && conflict.Size != old {
			old = conflict.Size
			continue
		} else if err != nil {
			return 0, err
		}
		break
	}
	var cs []*omadata.Cosignature
	now := time.Now().UTC()
	for _, line := range lines {
		n, err := note.Open(joinNote(text, []string{line}), note.VerifierList(v))
		if err != nil {
			var unknown *note.UnverifiedNoteError
			if !errors.As(err, &unknown) {
				c.logger().WarnContext(ctx, "witness: cosignature dropped", "witness", w.Name, "size", cp.Size, "error", err)
			}
			continue
		}
		t, err := CosignatureTime(n.Sigs[0])
		if err != nil {
			continue
		}
		cs = append(cs, &omadata.Cosignature{
			Size: cp.Size, Witness: v.Name(), KeyHash: v.KeyHash(), Time: t, Line: line, ReceivedAt: now,
		})
	}
	if len(cs) == 0 {
		return 0, fmt.Errorf("witness %s: no cosignature in the answer verifies with its key", w.Name)
	}
	if err := c.Store.AddCosignatures(ctx, cp.Size, cs); err != nil {
		return 0, fmt.Errorf("store cosignatures: %w", err)
	}
	return len(cs), nil
}

// request builds the add-checkpoint request from old to cp.
func (c *Collector) request(ctx context.Context, old int64, cp *omadata.Checkpoint) (*Request, error) {
	req := &Request{OldSize: old, Checkpoint: []byte(cp.Note)}
	if old == 0 || old == cp.Size {
		return req, nil
	}
	p, err := c.Log.ProveConsistency(ctx, old, cp.Size)
	if err != nil {
		return nil, fmt.Errorf("consistency proof %d to %d: %w", old, cp.Size, err)
	}
	for _, s := range p.Hashes {
		h, err := parseHash(s)
		if err != nil {
			return nil, fmt.Errorf("consistency proof %d to %d: %w", old, cp.Size, err)
		}
		req.Proof = append(req.Proof, h)
	}
	return req, nil
}
