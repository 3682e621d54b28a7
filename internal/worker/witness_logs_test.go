// SPDX-License-Identifier: Apache-2.0

package worker_test

import (
	"context"
	"errors"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/worker"
)

// TestWitnessLogSyncAnchor: the trust anchor's witness is kept while the
// anchor cannot be read or its witness is refused, read back from the
// store by another instance or after a restart, and leaves only when the
// anchor's configuration names none (docs/witnessing.md §3).
func TestWitnessLogSyncAnchor(t *testing.T) {
	ctx := storetest.Admin()
	s := storetest.OpenSQLite(t)
	anchor := &omadata.WitnessRef{Name: "anchor.example/witness", VerifierKey: "anchor.example/witness+01234567+BAAA",
		URL: "https://anchor.example/witness/v1", Label: omadata.Text{"en": "The network's trust anchor"}}
	var named *omadata.WitnessRef
	var readErr error
	members := func(context.Context) ([]string, error) { return []string{}, nil }
	sync := &worker.WitnessLogSync{Members: members, Store: s,
		Anchor: func(context.Context) (*omadata.WitnessRef, error) { return named, readErr }}
	want := func(sync *worker.WitnessLogSync, n int, what string) {
		t.Helper()
		ws, err := sync.Witnesses(ctx)
		if err != nil || len(ws) != n || n == 1 && (ws[0].Name != anchor.Name || ws[0].URL != anchor.URL || ws[0].Label["en"] == "") {
			t.Fatalf("%s: got %+v, %v; want %d", what, ws, err, n)
		}
	}
	named = anchor
	if _, err := sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	want(sync, 1, "named")

	// Unreachable, or its witness refused: kept.
	named, readErr = nil, errors.New("the anchor's configuration: unreachable")
	if _, err := sync.Sync(ctx); err == nil {
		t.Errorf("an unreadable anchor: no error")
	}
	want(sync, 1, "unreachable")

	// Another instance, or a restart, with the anchor down: from the store.
	down := &worker.WitnessLogSync{Store: s,
		Members: func(context.Context) ([]string, error) { return nil, errors.New("anchor down") },
		Anchor:  func(context.Context) (*omadata.WitnessRef, error) { return nil, errors.New("anchor down") }}
	want(down, 1, "restarted, before a sync")
	if _, err := down.Sync(ctx); err == nil {
		t.Errorf("a sync with the anchor down: no error")
	}
	want(down, 1, "restarted, the anchor down")

	// The anchor's verified configuration names no witness: it leaves.
	named, readErr = nil, nil
	if _, err := sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	want(sync, 0, "named no more")
	if ws, err := s.NetworkWitnesses(ctx); err != nil || len(ws) != 0 {
		t.Errorf("kept: %+v, %v; want none", ws, err)
	}
}
