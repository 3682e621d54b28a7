// SPDX-License-Identifier: Apache-2.0

package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// PeerStore keeps resolved peers in the database that an operator's
// instances share (table peers; internal/store/peer.go).
type PeerStore interface {
	// PutPeer records a resolved peer and the keys of its chain unless
	// its drop generation moved from generation (then ECONFLICT).
	PutPeer(ctx context.Context, p *omadata.Peer, jwks []byte, generation int64) error
	// PeerGeneration returns how many times the peer was dropped.
	PeerGeneration(ctx context.Context, operatorID string) (int64, error)
	// FindPeer returns the peer as last resolved, expired or not, and its
	// keys; ENOTFOUND if never.
	FindPeer(ctx context.Context, operatorID string) (*omadata.Peer, []byte, error)
	// ExpirePeer ends the peer's cached chain now.
	ExpirePeer(ctx context.Context, operatorID string) error
	// ExpirePeers ends every peer's cached chain now.
	ExpirePeers(ctx context.Context) error
}

// StoreCache is the Cache of a server: the peers table, shared by every
// instance on one database, so a chain one instance resolved or dropped
// is so for all (network.md §2.4).
type StoreCache struct {
	Store PeerStore
	Now   func() time.Time // nil: time.Now
	// Parsed keeps the key sets parsed from the stored JSON, keyed by
	// those bytes; nil: parsed on every Get. The row is still read on
	// every Get (another instance's Drop takes effect at once); only the
	// parsing is saved, and a changed row is other bytes, so never stale.
	Parsed *ParsedKeys
}

// ParsedKeys is a bounded memory of JWK sets parsed from their JSON,
// safe to lose and for concurrent use; its zero value is ready. The sets
// it returns are shared: callers only read them.
type ParsedKeys struct {
	mu   sync.Mutex
	sets map[string]*jose.JSONWebKeySet
}

// maxParsedKeys bounds ParsedKeys: past it the memory starts afresh.
// A network has tens of members, each with one or two key sets at once.
const maxParsedKeys = 256

// parse returns raw parsed, from memory when the same bytes were parsed
// before.
func (p *ParsedKeys) parse(raw []byte) (*jose.JSONWebKeySet, error) {
	if p != nil {
		p.mu.Lock()
		keys := p.sets[string(raw)]
		p.mu.Unlock()
		if keys != nil {
			return keys, nil
		}
	}
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, err
	}
	if p != nil {
		p.mu.Lock()
		if p.sets == nil || len(p.sets) >= maxParsedKeys {
			p.sets = map[string]*jose.JSONWebKeySet{}
		}
		p.sets[string(raw)] = &keys
		p.mu.Unlock()
	}
	return &keys, nil
}

// Get returns the unexpired chain of entityID, or ENOTFOUND.
func (c StoreCache) Get(ctx context.Context, entityID string) (*Resolved, error) {
	p, raw, err := c.Store.FindPeer(ctx, entityID)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if !p.ChainExpiresAt.After(now()) {
		return nil, omadata.NotFound("peer")
	}
	keys, err := c.Parsed.parse(raw)
	if err != nil {
		return nil, err
	}
	return &Resolved{Peer: p, Keys: keys}, nil
}

// Generation returns entityID's drop generation.
func (c StoreCache) Generation(ctx context.Context, entityID string) (int64, error) {
	return c.Store.PeerGeneration(ctx, entityID)
}

// Put records r unless entityID was dropped since r.Generation
// (ErrDropped).
func (c StoreCache) Put(ctx context.Context, r *Resolved) error {
	raw, err := json.Marshal(r.Keys)
	if err != nil {
		return err
	}
	err = c.Store.PutPeer(ctx, r.Peer, raw, r.Generation)
	if omadata.ErrorCode(err) == omadata.ECONFLICT {
		return fmt.Errorf("%w: %w", ErrDropped, err)
	}
	return err
}

// DropAll expires every cached chain.
func (c StoreCache) DropAll(ctx context.Context) error { return c.Store.ExpirePeers(ctx) }

// Drop expires entityID's chain; the peer's row stays, since the records
// of its catalogue and its residents point at it.
func (c StoreCache) Drop(ctx context.Context, entityID string) error {
	if err := c.Store.ExpirePeer(ctx, entityID); err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	return nil
}
