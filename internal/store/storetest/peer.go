// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/store"
)

// testPeerCache: a resolved peer is kept with its keys until its chain
// expires or is expired; a second Put updates it; bad input is refused
// naming the field and changes nothing.
func testPeerCache(t *testing.T, s *store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	s.DB().Now = func() time.Time { return now }
	key, err := federation.NewKey()
	ok(t, err)
	const id = "https://espoo.example"
	peer := &omadata.Peer{
		OperatorMetadata: omadata.OperatorMetadata{OperatorID: id, Name: omadata.Text{"fi": "Espoon kaupunki", "en": "City of Espoo"},
			BaseURL: id, NetworkEndpoint: id + "/network/v1", LogOrigin: "espoo.example/log"},
		RulebookVersion: 1,
		ChainExpiresAt:  now.Add(time.Hour),
	}
	cache := federation.StoreCache{Store: s, Now: func() time.Time { return now }}
	if _, err := cache.Get(ctx, id); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("Get of an unknown peer: %v, want not found", err)
	}
	if err := cache.Drop(ctx, id); err != nil {
		t.Fatalf("Drop of an unknown peer: %v", err)
	}
	// The drop of a peer never resolved counts: its first resolution,
	// begun before, records nothing.
	if err := cache.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key)}); !errors.Is(err, federation.ErrDropped) {
		t.Fatalf("Put of a resolution begun before the drop: %v, want ErrDropped", err)
	}
	gen, err := cache.Generation(ctx, id)
	ok(t, err)
	ok(t, cache.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key), Generation: gen}))
	got, err := cache.Get(ctx, id)
	ok(t, err)
	if got.Peer.OperatorID != id || got.Peer.Name["fi"] != "Espoon kaupunki" || got.Peer.LogOrigin != "espoo.example/log" ||
		got.Peer.RulebookVersion != 1 || !got.Peer.ChainExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("peer = %+v", got.Peer)
	}
	if len(got.Keys.Keys) != 1 || got.Keys.Keys[0].KeyID != key.ID {
		t.Errorf("keys = %+v", got.Keys.Keys)
	}

	// With parsed keys kept: the same row's keys are parsed once; a row
	// with other keys (a rotation) is other bytes, parsed anew.
	parsed := federation.StoreCache{Store: s, Now: cache.Now, Parsed: &federation.ParsedKeys{}}
	first, err := parsed.Get(ctx, id)
	ok(t, err)
	again, err := parsed.Get(ctx, id)
	ok(t, err)
	if first.Keys != again.Keys {
		t.Errorf("the same stored keys were parsed twice")
	}
	key2, err := federation.NewKey()
	ok(t, err)
	ok(t, parsed.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key2, key), Generation: gen}))
	rotated, err := parsed.Get(ctx, id)
	ok(t, err)
	if len(rotated.Keys.Keys) != 2 || rotated.Keys.Keys[0].KeyID != key2.ID || len(first.Keys.Keys) != 1 {
		t.Errorf("after a rotation: keys = %+v (before: %+v)", rotated.Keys.Keys, first.Keys.Keys)
	}
	ok(t, parsed.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key), Generation: gen}))

	// Resolved again: the row is updated.
	peer.RulebookVersion, peer.ChainExpiresAt = 2, now.Add(2*time.Hour)
	ok(t, cache.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key), Generation: gen}))
	p, _, err := s.FindPeer(ctx, id)
	ok(t, err)
	if p.RulebookVersion != 2 || !p.ChainExpiresAt.Equal(now.Add(2*time.Hour)) {
		t.Errorf("after a second Put: %+v", p)
	}

	// Bad input names its field and changes nothing.
	for field, bad := range map[string]func() (*omadata.Peer, []byte){
		"operator_id":      func() (*omadata.Peer, []byte) { q := *peer; q.OperatorID = "espoo"; return &q, []byte(`{"keys":[{}]}`) },
		"rulebook_version": func() (*omadata.Peer, []byte) { q := *peer; q.RulebookVersion = 0; return &q, []byte(`{"keys":[{}]}`) },
		"chain_expires_at": func() (*omadata.Peer, []byte) {
			q := *peer
			q.ChainExpiresAt = time.Time{}
			return &q, []byte(`{"keys":[{}]}`)
		},
		"jwks": func() (*omadata.Peer, []byte) { q := *peer; q.RulebookVersion = 9; return &q, []byte(`{"keys":[]}`) },
	} {
		p, jwks := bad()
		if err := s.PutPeer(ctx, p, jwks, gen); omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != field {
			t.Errorf("PutPeer with a bad %s: %v", field, err)
		}
	}
	if p, _, err := s.FindPeer(ctx, id); err != nil || p.RulebookVersion != 2 {
		t.Errorf("after refused writes: %+v, %v", p, err)
	}

	// A chain past its expiry is not served from the cache.
	cache.Now = func() time.Time { return now.Add(3 * time.Hour) }
	if _, err := cache.Get(ctx, id); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("Get after expiry: %v, want not found", err)
	}
	cache.Now = func() time.Time { return now }

	// Expired (a membership event): not served any more, on any instance,
	// but the row stays for the records that refer to it.
	ok(t, cache.Drop(ctx, id))
	if _, err := cache.Get(ctx, id); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("Get after Drop: %v, want not found", err)
	}
	if p, _, err := s.FindPeer(ctx, id); err != nil || p.ChainExpiresAt.After(now) {
		t.Errorf("FindPeer after ExpirePeer: %+v, %v; want the row, expired", p, err)
	}
	ok(t, s.ExpirePeer(ctx, id)) // again: nothing to do, no error
	if err := s.ExpirePeer(ctx, "https://never.example"); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("ExpirePeer of an unknown peer: %v, want not found", err)
	}
}

// testPeerDropWins: a membership event (Drop) between the start of a
// resolution and its Put, or between a catalogue fetch and its import,
// is not undone: the resolution records nothing, the import keeps the
// chain expired and its keys, and only a resolution begun after the drop
// trusts the peer again.
func testPeerDropWins(t *testing.T, s *store.Store) {
	ctx := context.Background()
	key, err := federation.NewKey()
	ok(t, err)
	const id = "https://turku.example"
	peer := &omadata.Peer{
		OperatorMetadata: omadata.OperatorMetadata{OperatorID: id, Name: omadata.Text{"fi": "Turku"},
			BaseURL: id, NetworkEndpoint: id + "/network/v1", LogOrigin: "turku.example/log"},
		RulebookVersion: 1,
		ChainExpiresAt:  time.Now().Add(time.Hour).UTC().Truncate(time.Second),
	}
	cache := federation.StoreCache{Store: s}
	gen, err := cache.Generation(ctx, id)
	ok(t, err)
	ok(t, cache.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key), Generation: gen}))

	// A resolution begins (reads the generation), the anchor suspends
	// the peer (Drop), the resolution ends (Put): the drop stands.
	began, err := cache.Generation(ctx, id)
	ok(t, err)
	ok(t, cache.Drop(ctx, id))
	if err := cache.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key), Generation: began}); !errors.Is(err, federation.ErrDropped) {
		t.Errorf("Put after a drop: %v, want ErrDropped", err)
	}
	if _, err := cache.Get(ctx, id); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("Get after a drop and a stale Put: %v, want not found", err)
	}

	// A catalogue fetched before the drop is imported after it: the
	// chain stays expired, the keys stay the resolution's.
	ok(t, s.ImportPeerCatalogue(Admin(), peer, &omadata.NetworkCatalogue{OperatorID: id}, "e1", time.Now().Add(time.Minute)))
	p, jwks, err := s.FindPeer(ctx, id)
	ok(t, err)
	if p.ChainExpiresAt.After(time.Now()) {
		t.Errorf("after a catalogue import the chain expires at %s; the drop was undone", p.ChainExpiresAt)
	}
	if !strings.Contains(string(jwks), key.ID) {
		t.Errorf("the import replaced the keys: %s", jwks)
	}

	// A resolution begun after the drop trusts the peer again.
	now, err := cache.Generation(ctx, id)
	ok(t, err)
	ok(t, cache.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key), Generation: now}))
	if _, err := cache.Get(ctx, id); err != nil {
		t.Errorf("Get after a fresh resolution: %v", err)
	}

	// Every chain dropped at once (DropAll) voids a resolution in flight
	// too.
	began, err = cache.Generation(ctx, id)
	ok(t, err)
	ok(t, cache.DropAll(ctx))
	if err := cache.Put(ctx, &federation.Resolved{Peer: peer, Keys: federation.KeySet(key), Generation: began}); !errors.Is(err, federation.ErrDropped) {
		t.Errorf("Put after DropAll: %v, want ErrDropped", err)
	}
}

// testPeerExpireAll: ExpirePeers ends every peer's cached chain at once
// (a member active again after a suspension, network.md §2.6); the rows
// stay.
func testPeerExpireAll(t *testing.T, s *store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	s.DB().Now = func() time.Time { return now }
	key, err := federation.NewKey()
	ok(t, err)
	cache := federation.StoreCache{Store: s, Now: func() time.Time { return now }}
	ids := []string{"https://espoo.example", "https://turku.example"}
	for _, id := range ids {
		ok(t, cache.Put(ctx, &federation.Resolved{Peer: &omadata.Peer{
			OperatorMetadata: omadata.OperatorMetadata{OperatorID: id, Name: omadata.Text{"en": id}, BaseURL: id, NetworkEndpoint: id + "/network/v1"},
			RulebookVersion:  1, ChainExpiresAt: now.Add(time.Hour),
		}, Keys: federation.KeySet(key)}))
	}
	ok(t, cache.DropAll(ctx))
	for _, id := range ids {
		if _, err := cache.Get(ctx, id); omadata.ErrorCode(err) != omadata.ENOTFOUND {
			t.Errorf("Get %s after DropAll: %v, want not found", id, err)
		}
		if p, _, err := s.FindPeer(ctx, id); err != nil || p.ChainExpiresAt.After(now) {
			t.Errorf("FindPeer %s after ExpirePeers: %+v, %v; want the row, expired", id, p, err)
		}
	}
	ok(t, s.ExpirePeers(ctx)) // nothing left to expire: no error
}
