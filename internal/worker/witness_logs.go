// SPDX-License-Identifier: Apache-2.0

package worker

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/peer"
	"github.com/omadata/omadata/internal/witness"
)

// DefaultWitnessLogSyncInterval is how often the witness's list of the
// members' logs is brought up to date: a new member's checkpoints are
// cosigned soon after its admission.
const DefaultWitnessLogSyncInterval = 15 * time.Second

// WitnessLogStore is what the witness log sync needs of the store.
type WitnessLogStore interface {
	FindWitnessedLogs(ctx context.Context) ([]*omadata.WitnessedLog, error)
	PutWitnessedLog(ctx context.Context, l *omadata.WitnessedLog) error
	// The network's witnesses of the own log as last known, kept across
	// restarts (docs/witnessing.md §3).
	NetworkWitnesses(ctx context.Context) ([]omadata.WitnessRef, error)
	SetNetworkWitnesses(ctx context.Context, ws []omadata.WitnessRef) error
}

// WitnessLogSync keeps the network's members among the logs this operator
// witnesses (docs/witnessing.md §2, "Which logs"): every Interval it lists
// the members, resolves each (its trust chain, cached in the database) and
// puts its log, origin and key from the chain, as a peer's log; a peer
// that no longer resolves as a member (suspended, removed, or its chain
// no longer validates; not merely unreachable) is witnessed no more, its
// state kept. It also keeps the network's witnesses of this operator's
// log, which the collector asks to cosign it (§3): the members' own
// (witness_endpoint, witness_verifier_key) and the trust anchor's. That
// list is stored (Store.SetNetworkWitnesses) and read back after a
// restart, and it shrinks only when the anchor says so: a member that no
// longer resolves as one leaves it, an unreachable member or anchor stays
// (asked, failing), and an anchor that cannot list the members changes
// nothing. Instances on one database may all run it: a put writes only
// what changed.
type WitnessLogSync struct {
	Self    string // this operator's ID, skipped in the member list
	Members func(ctx context.Context) ([]string, error)
	Peers   peer.Resolver
	// Anchor returns the trust anchor's witness from its verified
	// configuration: nil, nil when it names none; an error when it cannot
	// be read or is refused (the last known one is kept). nil: none.
	Anchor      func(ctx context.Context) (*omadata.WitnessRef, error)
	Store       WitnessLogStore
	Interval    time.Duration // 0: DefaultWitnessLogSyncInterval
	PeerTimeout time.Duration // 0: DefaultCatalogueSyncPeerTimeout
	Logger      *slog.Logger

	mu        sync.Mutex
	loaded    bool                 // witnesses holds what the store or a sync gave
	unsaved   bool                 // the store holds another list: write it again
	witnesses []omadata.WitnessRef // the members', in the anchor's order, then the anchor's
}

// Run syncs until ctx ends. ctx must carry the operator's admin caller.
func (s *WitnessLogSync) Run(ctx context.Context) {
	last := ""
	every(ctx, s.Interval, DefaultWitnessLogSyncInterval, s.Logger, "sync the members' witnessed logs", "members' witnessed logs changed", func(ctx context.Context) (int, error) {
		n, err := s.Sync(ctx)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != last && s.Logger != nil {
			if err != nil {
				s.Logger.Warn("members' witnessed logs not all synced", "error", msg)
			} else {
				s.Logger.Info("members' witnessed logs all synced again")
			}
		}
		last = msg
		return n, nil
	})
}

// Sync brings the peers' logs and the network's witnesses up to date and
// returns how many logs it changed. When the anchor cannot list the
// members, nothing changes.
func (s *WitnessLogSync) Sync(ctx context.Context) (int, error) {
	prev, err := s.Witnesses(ctx)
	if err != nil {
		return 0, err
	}
	members, err := s.Members(ctx)
	if err != nil {
		return 0, fmt.Errorf("members: %w", err)
	}
	logs, err := s.Store.FindWitnessedLogs(ctx)
	if err != nil {
		return 0, fmt.Errorf("witnessed logs: %w", err)
	}
	byOrigin := map[string]*omadata.WitnessedLog{}
	var peerLogs []*omadata.WitnessedLog
	for _, l := range logs {
		byOrigin[l.Origin] = l
		if l.Source == omadata.WitnessLogPeer && l.Active {
			peerLogs = append(peerLogs, l)
		}
	}
	// A peer whose log is witnessed, or whose witness is asked, but that
	// the anchor no longer lists is resolved too, to learn whether it is
	// still a member.
	prevByPeer := map[string]omadata.WitnessRef{}
	var prevAnchor *omadata.WitnessRef
	for _, w := range prev {
		if w.OperatorID == "" {
			prevAnchor = &w
		} else {
			prevByPeer[w.OperatorID] = w
		}
	}
	listed := len(members)
	for _, l := range peerLogs {
		if !slices.Contains(members, l.OperatorID) {
			members = append(members, l.OperatorID)
		}
	}
	for _, w := range prev {
		if w.OperatorID != "" && !slices.Contains(members, w.OperatorID) {
			members = append(members, w.OperatorID)
		}
	}
	timeout := s.PeerTimeout
	if timeout <= 0 {
		timeout = DefaultCatalogueSyncPeerTimeout
	}
	type result struct {
		p   *omadata.Peer
		err error
	}
	results := make([]result, len(members))
	sem := make(chan struct{}, DefaultCatalogueSyncParallel)
	var wg sync.WaitGroup
	for i, id := range members {
		if id == s.Self {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			p, err := s.Peers.Resolve(pctx, id)
			results[i] = result{p, err}
		})
	}
	wg.Wait()

	changed := 0
	var errs []error
	var witnesses []omadata.WitnessRef
	for i, id := range members {
		if id == s.Self {
			continue
		}
		res := results[i]
		if res.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, res.err))
			if federation.Reason(res.err) == network.ReasonUnavailable {
				// Unreachable says nothing about membership: its log stays
				// witnessed and its witness asked.
				if w, ok := prevByPeer[id]; ok {
					witnesses = append(witnesses, w)
				}
				continue
			}
			for _, l := range peerLogs {
				if l.OperatorID == id {
					if err := s.deactivate(ctx, l); err != nil {
						errs = append(errs, err)
					} else {
						changed++
					}
				}
			}
			continue
		}
		if i >= listed {
			// Unlisted, but resolves: a list that lags; left as it is.
			if w, ok := prevByPeer[id]; ok {
				witnesses = append(witnesses, w)
			}
			continue
		}
		if w, ok := peerWitness(res.p); ok {
			witnesses = append(witnesses, w)
		}
		n, err := s.putPeerLog(ctx, res.p, byOrigin[res.p.LogOrigin])
		changed += n
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
	}
	if s.Anchor != nil {
		w, err := s.Anchor(ctx)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("the trust anchor's witness: %w", err))
			if prevAnchor != nil {
				witnesses = append(witnesses, *prevAnchor)
			}
		case w != nil:
			witnesses = append(witnesses, *w)
		}
	}
	seen := map[string]bool{}
	witnesses = slices.DeleteFunc(witnesses, func(w omadata.WitnessRef) bool {
		dup := seen[w.Name]
		seen[w.Name] = true
		return dup
	})
	unsaved := false
	if s.unsaved || !slices.EqualFunc(prev, witnesses, sameWitness) {
		if err := s.Store.SetNetworkWitnesses(ctx, witnesses); err != nil {
			errs = append(errs, fmt.Errorf("keep the network's witnesses: %w", err))
			unsaved = true
		} else if s.Logger != nil {
			names := make([]string, len(witnesses))
			for i, w := range witnesses {
				names[i] = w.Name
			}
			s.Logger.Info("the network's witnesses of this operator's log changed", "witnesses", names)
		}
	}
	s.mu.Lock()
	s.witnesses, s.loaded, s.unsaved = witnesses, true, unsaved
	s.mu.Unlock()
	if len(errs) > 0 {
		return changed, fmt.Errorf("%d members: %w", len(errs), errs[0])
	}
	return changed, nil
}

// putPeerLog puts a resolved member's log unless it is already as the
// chain says.
func (s *WitnessLogSync) putPeerLog(ctx context.Context, p *omadata.Peer, old *omadata.WitnessedLog) (int, error) {
	if p.LogOrigin == "" || p.LogVerifierKey == "" {
		return 0, nil // offers no log
	}
	l := &omadata.WitnessedLog{
		Origin: p.LogOrigin, VerifierKeys: []string{p.LogVerifierKey}, Source: omadata.WitnessLogPeer,
		OperatorID: p.OperatorID, Label: peerLabel(p), Active: true,
	}
	if old != nil && old.Source == l.Source && old.OperatorID == l.OperatorID && old.Label == l.Label && old.Active &&
		slices.Equal(old.VerifierKeys, l.VerifierKeys) {
		return 0, nil
	}
	if err := s.Store.PutWitnessedLog(ctx, l); err != nil {
		return 0, fmt.Errorf("put its log %s: %w", l.Origin, err)
	}
	if s.Logger != nil {
		s.Logger.Info("witnessing a member's log", "peer", p.OperatorID, "origin", l.Origin)
	}
	return 1, nil
}

// deactivate stops witnessing the log of a peer that is no longer a member.
func (s *WitnessLogSync) deactivate(ctx context.Context, l *omadata.WitnessedLog) error {
	off := *l
	off.Active = false
	if err := s.Store.PutWitnessedLog(ctx, &off); err != nil {
		return fmt.Errorf("stop witnessing %s: %w", l.Origin, err)
	}
	if s.Logger != nil {
		s.Logger.Warn("no longer witnessing a log: its operator is no longer a member", "peer", l.OperatorID, "origin", l.Origin)
	}
	return nil
}

// Witnesses returns the network's witnesses of this operator's log
// (docs/witnessing.md §3): the members' that publish one, in the anchor's
// order, then the trust anchor's, as the last sync knew them, or, before
// this instance's first sync, as the store kept them.
func (s *WitnessLogSync) Witnesses(ctx context.Context) ([]omadata.WitnessRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		ws, err := s.Store.NetworkWitnesses(ctx)
		if err != nil {
			return nil, fmt.Errorf("the network's witnesses: %w", err)
		}
		s.witnesses, s.loaded = ws, true
	}
	return slices.Clone(s.witnesses), nil
}

// peerWitness is a member's witness, named by its verifier key, with the
// member's name as its label; none when it publishes none.
func peerWitness(p *omadata.Peer) (omadata.WitnessRef, bool) {
	if p.WitnessEndpoint == "" || p.WitnessVerifierKey == "" {
		return omadata.WitnessRef{}, false
	}
	v, err := witness.NewCosignatureVerifier(p.WitnessVerifierKey)
	if err != nil {
		return omadata.WitnessRef{}, false // the chain's check refuses it first
	}
	return omadata.WitnessRef{Name: v.Name(), VerifierKey: p.WitnessVerifierKey, URL: p.WitnessEndpoint,
		Label: p.Name, OperatorID: p.OperatorID}, true
}

func sameWitness(a, b omadata.WitnessRef) bool {
	return a.Name == b.Name && a.VerifierKey == b.VerifierKey && a.URL == b.URL && a.OperatorID == b.OperatorID && maps.Equal(a.Label, b.Label)
}

// peerLabel is what the console shows of a member's log: its name.
func peerLabel(p *omadata.Peer) string {
	for _, lang := range []string{"en", "fi", "sv"} {
		if s := p.Name[lang]; s != "" {
			return s
		}
	}
	return p.OperatorID
}
