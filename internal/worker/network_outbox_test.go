// SPDX-License-Identifier: Apache-2.0

package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/worker"
)

type resolverFunc func(ctx context.Context, id string) (*omadata.Peer, error)

func (f resolverFunc) Resolve(ctx context.Context, id string) (*omadata.Peer, error) {
	return f(ctx, id)
}

type senderFunc func(ctx context.Context, p *omadata.Peer, ev *omadata.NetworkConsentEvent) error

func (f senderFunc) SendConsentEvent(ctx context.Context, p *omadata.Peer, ev *omadata.NetworkConsentEvent) error {
	return f(ctx, p, ev)
}

// TestNetworkOutboxStopReleases: a shutdown during a batch lets the
// message in flight finish and hands the rest of the batch back, due at
// once with no attempt counted, instead of leaving them claimed for the
// lease.
func TestNetworkOutboxStopReleases(t *testing.T) {
	s := storetest.OpenSQLite(t)
	ctx := storetest.Admin()
	now := time.Now().UTC()
	const peer = "https://espoo.example"
	if err := s.DB().Exec(ctx, `INSERT INTO peers (operator_id, name, metadata, rulebook_version, jwks, chain_expires_at, updated_at)
		VALUES (?, '{}', '{}', 1, '{}', ?, ?)`, peer, now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.DB().Exec(ctx, `INSERT INTO network_outbox (id, operator_id, kind, body, attempts, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, 0, ?, ?)`, omadata.NewID(omadata.PrefixEvent), peer, omadata.NetworkKindConsentEvent,
			`{"consent_id":"c`+string(rune('0'+i))+`"}`, now.Add(-time.Minute), now.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	run, stop := context.WithCancel(ctx)
	sent := 0
	o := &worker.NetworkOutbox{
		Outbox: s,
		Peers:  resolverFunc(func(context.Context, string) (*omadata.Peer, error) { return &omadata.Peer{}, nil }),
		Send: senderFunc(func(ctx context.Context, _ *omadata.Peer, _ *omadata.NetworkConsentEvent) error {
			sent++
			stop() // the signal arrives while the first message is in flight
			return ctx.Err()
		}),
		Interval: time.Hour,
	}
	o.Run(run)
	if sent != 1 {
		t.Fatalf("sent %d messages, want 1: none after the stop", sent)
	}
	got, err := s.ClaimNetworkMessages(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("claimed %d messages after the stop, want the 2 not sent, handed back", len(got))
	}
	for _, m := range got {
		if m.Attempts != 0 {
			t.Errorf("message %s: %d attempts, want 0", m.ID, m.Attempts)
		}
	}
}
