// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testNetworkOutboxRelease: a worker shutting down hands back the network
// messages it claimed and did not send: due at once for the next claim,
// with no attempt counted; a claim that is no longer its own is not
// released.
func testNetworkOutboxRelease(t *testing.T, s *store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fixedClock(s, t0)
	const peer = "https://espoo.example"
	ok(t, s.DB().Exec(ctx, `INSERT INTO peers (operator_id, name, metadata, rulebook_version, jwks, chain_expires_at, updated_at)
		VALUES (?, '{}', '{}', 1, '{}', ?, ?)`, peer, t0.Add(time.Hour), t0))
	for i := range 2 {
		id := omadata.NewID(omadata.PrefixEvent)
		ok(t, s.DB().Exec(ctx, `INSERT INTO network_outbox (id, operator_id, kind, body, attempts, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, 0, ?, ?)`, id, peer, omadata.NetworkKindConsentEvent, `{"consent_id":"c`+string(rune('0'+i))+`"}`, t0, t0))
	}
	claim := func(want int) []*omadata.NetworkMessage {
		t.Helper()
		got := must[[]*omadata.NetworkMessage](t)(s.ClaimNetworkMessages(Admin(), 10, time.Minute))
		if len(got) != want {
			t.Fatalf("claimed %d messages, want %d", len(got), want)
		}
		return got
	}
	first := claim(2)
	claim(0) // hidden for the lease
	for _, m := range first {
		if !m.LockedUntil.Equal(t0.Add(time.Minute)) {
			t.Fatalf("lease %v, want %v", m.LockedUntil, t0.Add(time.Minute))
		}
		ok(t, s.ReleaseNetworkMessage(Admin(), m.ID, m.LockedUntil))
	}
	fixedClock(s, t0.Add(time.Second))
	again := claim(2)
	for _, m := range again {
		if m.Attempts != 0 {
			t.Fatalf("message %s: %d attempts after a release, want 0", m.ID, m.Attempts)
		}
	}
	// The first claim's lease is no longer the message's.
	wantField(t, s.ReleaseNetworkMessage(Admin(), first[0].ID, first[0].LockedUntil), omadata.ECONFLICT, "lease")
	claim(0)
	ok(t, s.NetworkMessageDelivered(Admin(), again[0].ID))
	wantField(t, s.ReleaseNetworkMessage(Admin(), again[0].ID, again[0].LockedUntil), omadata.ECONFLICT, "lease")
	wantCode(t, s.ReleaseNetworkMessage(Admin(), omadata.NewID(omadata.PrefixEvent), t0), omadata.ENOTFOUND)
	wantCode(t, s.ReleaseNetworkMessage(AsScoped("svc_x"), again[1].ID, again[1].LockedUntil), omadata.EFORBIDDEN)
}
