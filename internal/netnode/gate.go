// SPDX-License-Identifier: Apache-2.0

package netnode

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/network"
)

// A caller's keys are looked up before its signature is checked
// (network.md §3), so an unsigned call naming a fresh, plausible keyid
// must not make the operator ask the anchor each time (network.md §7).
// The gate keeps, in this instance's memory, what it read of the anchor:
// its configuration for a minute (within its exp), its list of active
// members for a minute, and its refusals of callers for a few seconds.
// All of it is safe to lose: a restart only asks the anchor again.
const (
	// memberListMaxAge is how long the member list is believed for a
	// caller it names.
	memberListMaxAge = time.Minute
	// memberListMinAge is how often at most a caller the list does not
	// name makes the gate read the list again.
	memberListMinAge = 10 * time.Second
	// refusalFor is how long a refusal of a caller (not_member,
	// suspended_member, removed_member) is kept; a membership event ends
	// it sooner.
	refusalFor = 30 * time.Second
	// anchorMaxAge is how long the anchor's configuration is believed
	// (within its exp): its rotated key (network.md §2.5), which signs
	// its statements and events, is learnt within it.
	anchorMaxAge = time.Minute
	// maxRefusals bounds the refusals kept: past it they are forgotten.
	maxRefusals = 10000
)

// gate answers for the anchor and its member list from memory.
type gate struct {
	n *Node

	mu        sync.Mutex // of st, fetchedAt
	st        *federation.Statement
	fetchedAt time.Time

	listMu   sync.Mutex // of the fields below
	members  []string   // sorted
	listedAt time.Time  // when members was read
	triedAt  time.Time  // when the list was last asked for, read or not
	refused  map[string]refusal
}

type refusal struct {
	reason string
	until  time.Time
}

// anchor returns the anchor's configuration, verified with the pinned
// keys, fetched again once it expired or is older than anchorMaxAge
// (network.md §2.4 step 1).
func (g *gate) anchor(ctx context.Context) (*federation.Statement, error) {
	return g.anchorWithin(ctx, anchorMaxAge)
}

// resolverAnchor is anchor for the Resolver: fresh reads it again now.
func (g *gate) resolverAnchor(ctx context.Context, fresh bool) (*federation.Statement, error) {
	if fresh {
		return g.anchorWithin(ctx, -1)
	}
	return g.anchor(ctx)
}

// anchorWithin is anchor with the configuration read again once older
// than maxAge (negative: now).
func (g *gate) anchorWithin(ctx context.Context, maxAge time.Duration) (*federation.Statement, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.n.o.Now()
	if g.st != nil && g.st.Expires().After(now) && now.Sub(g.fetchedAt) < maxAge {
		return g.st, nil
	}
	st, err := federation.FetchAnchor(ctx, g.n.o.HTTPClient, g.n.o.AnchorID, g.n.o.AnchorKeys, now)
	if err != nil {
		return nil, err
	}
	g.st, g.fetchedAt = st, now
	return st, nil
}

// forget drops what the gate knows of operatorID and the member list: a
// membership event changed them (network.md §2.6).
func (g *gate) forget(operatorID string) {
	g.listMu.Lock()
	defer g.listMu.Unlock()
	delete(g.refused, operatorID)
	g.listedAt, g.triedAt = time.Time{}, time.Time{}
}

// forgetAll drops every refusal kept and the member list: this operator
// is active again after a suspension, and may have missed events.
func (g *gate) forgetAll() {
	g.listMu.Lock()
	defer g.listMu.Unlock()
	g.refused = nil
	g.listedAt, g.triedAt = time.Time{}, time.Time{}
}

// refusedBefore returns the refusal of operatorID still kept, if any.
func (g *gate) refusedBefore(operatorID string) (string, bool) {
	g.listMu.Lock()
	defer g.listMu.Unlock()
	r, ok := g.refused[operatorID]
	if !ok || !g.n.o.Now().Before(r.until) {
		return "", false
	}
	return r.reason, true
}

func (g *gate) refuse(operatorID, reason string) {
	g.listMu.Lock()
	defer g.listMu.Unlock()
	if g.refused == nil || len(g.refused) >= maxRefusals {
		g.refused = map[string]refusal{}
	}
	g.refused[operatorID] = refusal{reason, g.n.o.Now().Add(refusalFor)}
}

// listed reports whether the anchor's member list names operatorID,
// reading the list again when it is older than memberListMaxAge, or, for
// an ID it does not name, older than memberListMinAge. An error is the
// list's being unavailable.
func (g *gate) listed(ctx context.Context, operatorID string) (bool, error) {
	g.listMu.Lock()
	defer g.listMu.Unlock()
	now := g.n.o.Now()
	_, in := slices.BinarySearch(g.members, operatorID)
	if in && now.Sub(g.listedAt) < memberListMaxAge {
		return true, nil
	} else if now.Sub(g.triedAt) < memberListMinAge {
		if g.listedAt.IsZero() {
			return false, fmt.Errorf("%w: the anchor's member list was not read", federation.ErrUnavailable)
		}
		return in, nil
	}
	g.triedAt = now
	ids, err := g.n.Members.List(ctx)
	if err != nil {
		if g.listedAt.IsZero() {
			return false, err
		}
		return in, nil // the last list, until the anchor answers again
	}
	slices.Sort(ids)
	g.members, g.listedAt = ids, now
	_, in = slices.BinarySearch(ids, operatorID)
	return in, nil
}

// memberKeys gives a caller's keys from its resolved trust chain
// (docs/network.md §3: no second key channel). A chain in the cache
// costs no call to the anchor; otherwise a caller the anchor's member
// list does not name, and that this operator never resolved, is refused
// as not_member without resolving it (the list is read at most every
// memberListMinAge for such callers), and the anchor's refusal of a
// caller is kept refusalFor.
type memberKeys struct{ n *Node }

func (k memberKeys) CallerKeys(ctx context.Context, operatorID string) (jose.JSONWebKeySet, error) {
	r, g := k.n.Resolver, k.n.gate
	if res, err := r.Cache.Get(ctx, operatorID); err == nil && res.Peer.ChainExpiresAt.After(k.n.o.Now()) {
		return *res.Keys, nil
	} else if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return jose.JSONWebKeySet{}, err
	}
	if reason, ok := g.refusedBefore(operatorID); ok {
		return jose.JSONWebKeySet{}, notMember(reason)
	}
	in, err := g.listed(ctx, operatorID)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	if !in {
		// A former member this operator resolved is resolved again, for
		// the reason of its refusal (suspended_member, removed_member);
		// any other ID is not_member.
		if _, _, err := k.n.o.Store.FindPeer(ctx, operatorID); omadata.ErrorCode(err) == omadata.ENOTFOUND {
			return jose.JSONWebKeySet{}, notMember(network.ReasonNotMember)
		} else if err != nil {
			return jose.JSONWebKeySet{}, err
		}
	}
	res, err := r.Resolve(ctx, operatorID)
	if err != nil {
		if reason := federation.Reason(err); reason != network.ReasonUnavailable {
			if anchorVerdict(err) {
				g.refuse(operatorID, reason)
			}
			// The refusal, with why for the log (the chain's failing step
			// and field); the caller sees only the refusal.
			return jose.JSONWebKeySet{}, fmt.Errorf("%w (%w)", notMember(reason), err)
		}
		return jose.JSONWebKeySet{}, err
	}
	return *res.Keys, nil
}

// anchorVerdict reports whether err is the anchor's word on a membership
// (its 404, network.md §2.2), which is kept refusalFor. A chain that does
// not validate is not kept: the member may mend its configuration, and
// is believed on its next call once it did.
func anchorVerdict(err error) bool {
	return errors.Is(err, federation.ErrNotMember) || errors.Is(err, federation.ErrSuspended) || errors.Is(err, federation.ErrRemoved)
}

func notMember(reason string) error {
	return &network.Refusal{Reason: reason, Detail: "The caller is not an active member of the network."}
}

// anchorKeys gives the anchor's keys, from its configuration verified
// with the pinned keys (cached a minute at most), for its membership
// events; any other caller is no anchor.
type anchorKeys struct{ n *Node }

func (k anchorKeys) CallerKeys(ctx context.Context, operatorID string) (jose.JSONWebKeySet, error) {
	if operatorID != k.n.o.AnchorID {
		return jose.JSONWebKeySet{}, &network.Refusal{Reason: network.ReasonNotMember, Detail: "Only the trust anchor sends membership events."}
	}
	st, err := k.n.gate.anchor(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	return *st.JWKS, nil
}
