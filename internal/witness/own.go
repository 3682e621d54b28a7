// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omadata/omadata"
)

// cosignedLookback is how many of the newest cosigned checkpoints
// WitnessedCheckpoint tries against the policy.
const cosignedLookback = 50

// Own answers which checkpoint of the operator's own log counts as
// witnessed (docs/witnessing.md §3, §5); it implements
// omadata.WitnessedLogService. (Its witness source is the field Source:
// a field named Witnesses would clash with the method.)
type Own struct {
	Log    omadata.LogService
	Store  omadata.WitnessService
	Source WitnessSource
	LogKey string // the log's signed-note verifier key
	LogURL string // the log's public URL, for the policy's log line
	Quorum int    // k; -1: all but one, at least one; 0: quorum none
	// Network: the operator is in a network, whose members and trust
	// anchor witness its log. Before any witness is known there is then
	// no policy (ENOTFOUND): a network's policy is never "quorum none"
	// for want of witnesses (docs/witnessing.md §5).
	Network bool
	// CacheFor keeps WitnessedCheckpoint's answer this long (0: not at
	// all). Finding it verifies up to 50 checkpoints' signatures, about
	// 5 ms of CPU when none meets the policy, and the public log API and
	// every proof page ask for it; a second's delay is less than the
	// collector's round anyway.
	CacheFor time.Duration

	mu       sync.Mutex
	cached   *omadata.WitnessedCheckpoint // nil with cachedAt set: none met the policy
	cachedAt time.Time
}

var _ omadata.WitnessedLogService = (*Own)(nil)

// Witnesses returns the source's witnesses, in order (docs/witnessing.md
// §3).
func (o *Own) Witnesses(ctx context.Context) ([]omadata.WitnessRef, error) {
	return o.Source.Witnesses(ctx)
}

// WitnessPolicy returns the published policy file (docs/witnessing.md
// §5): NewPolicy of the log and the source's witnesses with k Quorum;
// ENOTFOUND in a network that knows no witness yet.
func (o *Own) WitnessPolicy(ctx context.Context) ([]byte, error) {
	p, _, err := o.policy(ctx)
	if err != nil {
		return nil, err
	}
	return p.Marshal(), nil
}

// policy returns the policy and, by label, the witness each line names.
func (o *Own) policy(ctx context.Context) (*Policy, map[string]omadata.WitnessRef, error) {
	ws, err := o.Source.Witnesses(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("witnesses: %w", err)
	}
	refs := map[string]omadata.WitnessRef{}
	keys := map[string]bool{}
	var pws []PolicyWitness
	for _, w := range ws {
		if _, err := NewCosignatureVerifier(w.VerifierKey); err != nil {
			continue // it could cosign nothing; the configuration reports it
		}
		if pub := CosignaturePublicKey(w.VerifierKey); keys[pub] {
			continue // one key under another name: one witness, counted once
		} else {
			keys[pub] = true
		}
		label := PolicyLabel(w.Name)
		for i := 2; refs[label].Name != "" || label == "witnesses"; i++ {
			label = PolicyLabel(w.Name) + "-" + strconv.Itoa(i)
		}
		refs[label] = w
		pws = append(pws, PolicyWitness{Label: label, VerifierKey: w.VerifierKey, URL: w.URL})
	}
	if len(pws) == 0 && o.Network {
		return nil, nil, omadata.Errorf(omadata.ENOTFOUND, "No witness of the network's is known yet: no checkpoint counts as witnessed.")
	}
	return NewPolicy(o.LogKey, o.LogURL, pws, o.Quorum), refs, nil
}

// PolicyLabel returns the policy label of a witness named name: its host
// name's first label ("espoo" for "espoo.example/witness"), or the name
// with "/" as "-" where that is not a word or is a reserved label.
func PolicyLabel(name string) string {
	host, _, _ := strings.Cut(name, "/")
	first, _, _ := strings.Cut(host, ".")
	if first != "" && first != QuorumNone && first != "witnesses" && !strings.ContainsAny(first, " \t#:") {
		return first
	}
	label := strings.NewReplacer("/", "-", " ", "-", "\t", "-").Replace(name)
	if label == "" || label == QuorumNone || strings.HasPrefix(label, "#") {
		label = "w" + label
	}
	return label
}

// WitnessedCheckpoint returns the newest of the own log's checkpoints
// (among the 50 newest with a cosignature) that meets the policy with the
// cosignatures stored for it (docs/witnessing.md §5); its Note is the
// signed note followed by those lines. ENOTFOUND when none does, and in
// a network that knows no witness yet. With "quorum none" it is the
// latest checkpoint, with whatever cosignatures it has.
func (o *Own) WitnessedCheckpoint(ctx context.Context) (*omadata.WitnessedCheckpoint, error) {
	if o.CacheFor <= 0 {
		return o.witnessedCheckpoint(ctx)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cachedAt.IsZero() || time.Since(o.cachedAt) >= o.CacheFor {
		wc, err := o.witnessedCheckpoint(ctx)
		if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
			return nil, err // not kept: the next call tries again
		}
		o.cached, o.cachedAt = wc, time.Now()
	}
	if o.cached == nil {
		return nil, omadata.NotFound("witnessed checkpoint")
	}
	wc := *o.cached // callers get their own copy
	wc.Cosigners = slices.Clone(o.cached.Cosigners)
	return &wc, nil
}

func (o *Own) witnessedCheckpoint(ctx context.Context) (*omadata.WitnessedCheckpoint, error) {
	p, refs, err := o.policy(ctx)
	if err != nil {
		return nil, err
	}
	if p.Quorum == QuorumNone {
		cp, err := o.Log.LatestCheckpoint(ctx)
		if err != nil {
			return nil, err
		}
		return o.witnessed(ctx, p, refs, cp)
	}
	sizes, err := o.Store.CosignedSizes(ctx, cosignedLookback)
	if err != nil {
		return nil, fmt.Errorf("cosigned sizes: %w", err)
	}
	for _, size := range sizes {
		cp, err := o.Store.CheckpointAt(ctx, size)
		if omadata.ErrorCode(err) == omadata.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", size, err)
		}
		wc, err := o.witnessed(ctx, p, refs, cp)
		if err != nil {
			return nil, err
		} else if wc != nil {
			return wc, nil
		}
	}
	return nil, omadata.NotFound("witnessed checkpoint")
}

// witnessed returns cp with its cosignatures if it meets p, else nil.
func (o *Own) witnessed(ctx context.Context, p *Policy, refs map[string]omadata.WitnessRef, cp *omadata.Checkpoint) (*omadata.WitnessedCheckpoint, error) {
	cs, err := o.Store.FindCosignatures(ctx, cp.Size)
	if err != nil {
		return nil, fmt.Errorf("cosignatures of %d: %w", cp.Size, err)
	}
	signed := cp.Note
	for _, c := range cs {
		signed += c.Line
	}
	v, err := p.Verify([]byte(signed))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %d: %w", cp.Size, err)
	}
	if !v.Met {
		return nil, nil
	}
	k, n := p.QuorumSize()
	wc := &omadata.WitnessedCheckpoint{Checkpoint: *cp, Quorum: k, Witnesses: n, Cosigners: []omadata.WitnessRef{}}
	wc.Note = signed
	for _, w := range v.Cosigners {
		wc.Cosigners = append(wc.Cosigners, refs[w.Label])
	}
	return wc, nil
}
