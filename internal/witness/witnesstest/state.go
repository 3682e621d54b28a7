// SPDX-License-Identifier: Apache-2.0

package witnesstest

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/omadata/omadata"
)

// Mem is an in-memory omadata.WitnessService: the witness's state and
// evidence, kept with the compare-and-swap and freezing of
// docs/witnessing.md §2 and §4, and the cosignatures collected for Own's
// checkpoints.
type Mem struct {
	Own *Log // the operator's own log, for CheckpointAt; may be nil

	mu       sync.Mutex
	logs     map[string]*omadata.WitnessedLog
	forks    []*omadata.WitnessFork
	cos      map[int64][]*omadata.Cosignature
	progress map[string]*omadata.WitnessProgress
}

var _ omadata.WitnessService = (*Mem)(nil)

// NewMem returns an empty state; own is the operator's own log or nil.
func NewMem(own *Log) *Mem {
	return &Mem{Own: own, logs: map[string]*omadata.WitnessedLog{}, cos: map[int64][]*omadata.Cosignature{}, progress: map[string]*omadata.WitnessProgress{}}
}

// WitnessedLog implements omadata.WitnessService.
func (m *Mem) WitnessedLog(ctx context.Context, origin string) (*omadata.WitnessedLog, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.logs[origin]
	if !ok {
		return nil, omadata.NotFound("witnessed log")
	}
	c := *l
	c.VerifierKeys = slices.Clone(l.VerifierKeys)
	return &c, nil
}

// FindWitnessedLogs implements omadata.WitnessService, by origin.
func (m *Mem) FindWitnessedLogs(ctx context.Context) ([]*omadata.WitnessedLog, error) {
	m.mu.Lock()
	var origins []string
	for o := range m.logs {
		origins = append(origins, o)
	}
	m.mu.Unlock()
	sort.Strings(origins)
	var out []*omadata.WitnessedLog
	for _, o := range origins {
		l, err := m.WitnessedLog(ctx, o)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// PutWitnessedLog implements omadata.WitnessService.
func (m *Mem) PutWitnessedLog(ctx context.Context, l *omadata.WitnessedLog) error {
	if l.Origin == "" || len(l.VerifierKeys) == 0 {
		return omadata.Invalidf("origin", "A witnessed log needs an origin and a key.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now().UTC()
	if old, ok := m.logs[l.Origin]; ok {
		old.VerifierKeys, old.Label, old.Active, old.Source, old.OperatorID = slices.Clone(l.VerifierKeys), l.Label, l.Active, l.Source, l.OperatorID
		old.UpdatedAt = now
		return nil
	}
	m.logs[l.Origin] = &omadata.WitnessedLog{
		Origin: l.Origin, VerifierKeys: slices.Clone(l.VerifierKeys), Source: l.Source, OperatorID: l.OperatorID,
		Label: l.Label, Active: l.Active, UpdatedAt: now,
	}
	return nil
}

// RemoveWitnessedLog implements omadata.WitnessService (no caller or
// audit: the store suite checks those).
func (m *Mem) RemoveWitnessedLog(ctx context.Context, origin, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.logs[origin]
	if !ok {
		return omadata.NotFound("witnessed log")
	} else if l.Source != omadata.WitnessLogAdmin {
		return omadata.Conflictf("origin", "The origin %s is a network member's log.", origin)
	}
	l.Active, l.UpdatedAt = false, time.Now().UTC()
	return nil
}

// AdvanceWitness implements omadata.WitnessService.
func (m *Mem) AdvanceWitness(ctx context.Context, a omadata.WitnessAdvance) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.logs[a.Origin]
	if !ok || !l.Active {
		return omadata.NotFound("witnessed log")
	}
	if l.Forked {
		return omadata.Forbiddenf("origin", "The origin is frozen by a fork.")
	}
	if l.Size != a.OldSize || l.RootHash != a.OldRoot {
		return &omadata.WitnessConflict{Size: l.Size}
	}
	now := time.Now().UTC()
	l.Size, l.RootHash, l.Checkpoint, l.CosignedAt, l.UpdatedAt = a.Size, a.RootHash, a.Checkpoint, &now, now
	return nil
}

// RecordWitnessFork implements omadata.WitnessService: it gives the
// evidence an ID when it has none and freezes the origin.
func (m *Mem) RecordWitnessFork(ctx context.Context, f *omadata.WitnessFork) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.logs[f.Origin]
	if !ok {
		return omadata.NotFound("witnessed log")
	}
	if f.ID == "" {
		f.ID = omadata.NewID(omadata.PrefixWitnessFork)
	}
	if f.DetectedAt.IsZero() {
		f.DetectedAt = time.Now().UTC()
	}
	c := *f
	c.Proof = slices.Clone(f.Proof)
	m.forks = append(m.forks, &c)
	l.Forked = true
	return nil
}

// FindWitnessForks implements omadata.WitnessService.
func (m *Mem) FindWitnessForks(ctx context.Context) ([]*omadata.WitnessFork, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*omadata.WitnessFork
	for i := len(m.forks) - 1; i >= 0; i-- {
		c := *m.forks[i]
		out = append(out, &c)
	}
	return out, nil
}

// ResolveWitnessFork implements omadata.WitnessService. The checkpoint
// kept becomes the state; its size and root are read from its text.
func (m *Mem) ResolveWitnessFork(ctx context.Context, id, keep, reason string) error {
	if keep != "old" && keep != "new" {
		return omadata.Invalidf("keep", "Keep is \"old\" or \"new\".")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.forks {
		if f.ID != id {
			continue
		}
		if f.ResolvedAt != nil {
			return omadata.Conflictf("id", "The fork is resolved already.")
		}
		signed := f.Known
		if keep == "new" {
			signed = f.Conflicting
		}
		l := m.logs[f.Origin]
		if signed != "" {
			lines := strings.SplitN(signed, "\n", 4)
			if len(lines) < 4 {
				return errors.New("witnesstest: evidence is not a checkpoint")
			}
			size, root, err := sizeRoot(lines[1], lines[2])
			if err != nil {
				return err
			}
			l.Size, l.RootHash, l.Checkpoint = size, root, signed
		}
		now := time.Now().UTC()
		l.Forked, l.UpdatedAt = false, now
		f.ResolvedAt, f.Resolution, f.Reason = &now, keep, reason
		return nil
	}
	return omadata.NotFound("fork")
}

// AddCosignatures implements omadata.WitnessService: a witness's second
// line for one size is ignored.
func (m *Mem) AddCosignatures(ctx context.Context, size int64, cs []*omadata.Cosignature) error {
	m.mu.Lock()
	defer m.mu.Unlock()
next:
	for _, c := range cs {
		for _, o := range m.cos[size] {
			if o.Witness == c.Witness {
				continue next
			}
		}
		cc := *c
		cc.Size = size
		m.cos[size] = append(m.cos[size], &cc)
	}
	return nil
}

// FindCosignatures implements omadata.WitnessService.
func (m *Mem) FindCosignatures(ctx context.Context, size int64) ([]*omadata.Cosignature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*omadata.Cosignature
	for _, c := range m.cos[size] {
		cc := *c
		out = append(out, &cc)
	}
	return out, nil
}

// CheckpointAt implements omadata.WitnessService from Own.
func (m *Mem) CheckpointAt(ctx context.Context, size int64) (*omadata.Checkpoint, error) {
	if m.Own == nil {
		return nil, omadata.NotFound("checkpoint")
	}
	return m.Own.CheckpointAt(size)
}

// WitnessProgress implements omadata.WitnessService, by witness name.
func (m *Mem) WitnessProgress(ctx context.Context) ([]*omadata.WitnessProgress, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*omadata.WitnessProgress
	for _, p := range m.progress {
		c := *p
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Witness < out[j].Witness })
	return out, nil
}

// SetWitnessProgress implements omadata.WitnessService.
func (m *Mem) SetWitnessProgress(ctx context.Context, p *omadata.WitnessProgress) error {
	if p.Witness == "" {
		return omadata.Invalidf("witness", "The witness name is required.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *p
	m.progress[p.Witness] = &c
	return nil
}

// CosignedSizes implements omadata.WitnessService.
func (m *Mem) CosignedSizes(ctx context.Context, limit int) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int64
	for size, cs := range m.cos {
		if len(cs) > 0 {
			out = append(out, size)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sizeRoot(sizeLine, rootLine string) (int64, string, error) {
	var size int64
	for _, c := range sizeLine {
		if c < '0' || c > '9' {
			return 0, "", errors.New("witnesstest: evidence size is not decimal")
		}
		size = size*10 + int64(c-'0')
	}
	return size, rootLine, nil
}
