// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/keys"
)

// federationKeys reads the operator's federation keys, newest first, and
// opens them: the active key and the retired ones, which the entity
// configuration keeps publishing (docs/network.md §2.5). It reads the
// store at most every refresh, so that a rotation by "omadata keys rotate
// federation" or another instance reaches every instance within it.
type federationKeys struct {
	svc     omadata.SigningKeyService
	sealer  *keys.Sealer
	refresh time.Duration

	mu     sync.Mutex
	keys   []federation.Key
	readAt time.Time
}

// Keys returns the federation keys, newest first.
func (f *federationKeys) Keys(ctx context.Context) ([]federation.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys != nil && time.Since(f.readAt) < f.refresh {
		return f.keys, nil
	}
	ks, err := f.svc.FindSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("find federation keys: %w", err)
	}
	ks = slices.DeleteFunc(slices.Clone(ks), func(k *omadata.SigningKey) bool { return k.Purpose != omadata.KeyPurposeFederation })
	slices.SortStableFunc(ks, func(a, b *omadata.SigningKey) int {
		if (a.Status == keys.StatusActive) != (b.Status == keys.StatusActive) {
			if a.Status == keys.StatusActive {
				return -1
			}
			return 1
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	var out []federation.Key
	for _, k := range ks {
		priv, err := keys.Signer(k, f.sealer)
		if err != nil {
			return nil, err
		}
		fk, err := federation.KeyOf(priv)
		if err != nil {
			return nil, err
		}
		out = append(out, fk)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no federation key: it is made when serve starts in a network")
	}
	f.keys, f.readAt = out, time.Now()
	return out, nil
}
