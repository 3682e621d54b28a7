// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"sync"
	"time"
)

// consentCatalogue keeps, for the consent write path, what gives and
// changes rest on: a processing with its current version and that
// version's parts, by processing ID, and parts by version ID. Published
// versions and their notices never change (the database refuses it);
// whether a version is still the current one of an approved sink is
// re-checked inside every give's transaction, and an entry that fails the
// re-check is dropped. What else the parts hold (the sink's organisation,
// the purpose, the data groups) only describes the controller and the data
// in receipts: this store drops every entry when it changes any of it, and
// an entry is used for at most consentCatalogueTTL, so that a change made
// through another instance reaches receipts that soon.
type consentCatalogue struct {
	mu      sync.Mutex
	gen     uint64 // bumped by reset; a load stores only under the gen it began with
	targets map[string]cachedEntry[*giveTarget]
	parts   map[string]cachedEntry[*consentParts]
}

const consentCatalogueTTL = time.Second

type cachedEntry[T any] struct {
	v      T
	loaded time.Time
}

// reset drops every entry: a catalogue change committed.
func (cc *consentCatalogue) reset() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.gen++
	cc.targets, cc.parts = nil, nil
}

// dropTarget drops the entry of a processing that failed a re-check.
func (cc *consentCatalogue) dropTarget(processingID string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	delete(cc.targets, processingID)
}

// cached returns m[key] if it is fresh, or loads and stores it.
func cached[T any](cc *consentCatalogue, m *map[string]cachedEntry[T], key string, load func() (T, error)) (T, error) {
	now := time.Now()
	cc.mu.Lock()
	e, ok := (*m)[key]
	gen := cc.gen
	cc.mu.Unlock()
	if ok && now.Sub(e.loaded) < consentCatalogueTTL {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.gen == gen {
		if *m == nil {
			*m = map[string]cachedEntry[T]{}
		}
		(*m)[key] = cachedEntry[T]{v: v, loaded: now}
	}
	return v, nil
}

// target returns the processing's give target, read on q when not cached.
// It must be treated as read-only.
func (cc *consentCatalogue) target(ctx context.Context, q querier, processingID string) (*giveTarget, error) {
	return cached(cc, &cc.targets, processingID, func() (*giveTarget, error) {
		return loadGiveTarget(ctx, q, partsCache{}, processingID)
	})
}

// versionParts returns the parts of a version, read on q when not cached.
// They must be treated as read-only.
func (cc *consentCatalogue) versionParts(ctx context.Context, q querier, versionID string) (*consentParts, error) {
	return cached(cc, &cc.parts, versionID, func() (*consentParts, error) {
		return loadConsentParts(ctx, q, versionID)
	})
}

// commitCatalogue commits a transaction that changed the catalogue and
// then drops what the consent write path keeps of it.
func (s *Store) commitCatalogue(tx *Tx) error {
	err := tx.Commit()
	s.consentCatalogue.reset()
	return err
}
