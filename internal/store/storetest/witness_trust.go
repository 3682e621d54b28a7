// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testWitnessPeerTakeover: a member's log is bound to its operator ID. A
// put of another member over an active member's origin is refused
// (conflict on origin) and changes nothing: its keys, operator and state
// stay (security review of issue 18, finding 1).
func testWitnessPeerTakeover(t *testing.T, s *store.Store) {
	ctx := Admin() // the network worker runs as the operator's admin
	a := NewTestLog(t, "helsinki.example/log")
	a.Append(t, 4)
	peerLog := func(l *TestLog, operator string) *omadata.WitnessedLog {
		return &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: omadata.WitnessLogPeer, OperatorID: operator, Label: operator, Active: true}
	}
	ok(t, s.PutWitnessedLog(ctx, peerLog(a, "https://helsinki.example")))
	ok(t, s.AdvanceWitness(ctx, advance(a, t, &omadata.WitnessedLog{}, 4)))
	before := snapshotWitness(t, s)
	// Espoo claims Helsinki's origin with a key of its own.
	rogue := NewTestLog(t, a.Origin)
	wantField(t, s.PutWitnessedLog(ctx, peerLog(rogue, "https://espoo.example")), omadata.ECONFLICT, "origin")
	// Nor may it stop Helsinki's log being witnessed.
	off := peerLog(a, "https://espoo.example")
	off.Active = false
	wantField(t, s.PutWitnessedLog(ctx, off), omadata.ECONFLICT, "origin")
	if got := snapshotWitness(t, s); got != before {
		t.Fatalf("a refused takeover changed the store:\n%s\nwant\n%s", got, before)
	}
	// Helsinki's own chain still updates its log: a new key, its state kept.
	rotated := NewTestLog(t, a.Origin)
	ok(t, s.PutWitnessedLog(ctx, peerLog(rotated, "https://helsinki.example")))
	got := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, a.Origin))
	if got.OperatorID != "https://helsinki.example" || !slices.Equal(got.VerifierKeys, []string{rotated.VerifierKey}) || got.Size != 4 {
		t.Fatalf("Helsinki's own update: got %+v", got)
	}
	// Once Helsinki is no longer a member (its log inactive), the origin
	// is free: its state stays with it.
	off = peerLog(rotated, "https://helsinki.example")
	off.Active = false
	ok(t, s.PutWitnessedLog(ctx, off))
	ok(t, s.PutWitnessedLog(ctx, peerLog(rogue, "https://helsinki.example:8443")))
	if got := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, a.Origin)); got.OperatorID != "https://helsinki.example:8443" || got.Size != 4 {
		t.Fatalf("after the member left: got %+v", got)
	}
}

// testWitnessResolveKeepNew: keeping the conflicting checkpoint moves the
// state forward only: one of the size held or smaller is refused naming
// keep, and changes nothing (finding 3: the witness would cosign two
// roots of one size).
func testWitnessResolveKeepNew(t *testing.T, s *store.Store) {
	ctx := Admin()
	l := NewTestLog(t, witnessOrigin)
	l.Append(t, 8)
	f := l.Fork(4)
	f.Append(t, 8)
	ok(t, s.PutWitnessedLog(ctx, adminLog(l, "Test.")))
	ok(t, s.AdvanceWitness(ctx, advance(l, t, &omadata.WitnessedLog{}, 8)))
	smaller, same, larger := forkOf(t, l, f, 8, 6), forkOf(t, l, f, 8, 8), forkOf(t, l, f, 8, 12)
	for _, fk := range []*omadata.WitnessFork{smaller, same, larger} {
		ok(t, s.RecordWitnessFork(ctx, fk))
	}
	before := snapshotWitness(t, s)
	wantField(t, s.ResolveWitnessFork(ctx, smaller.ID, "new", "The log started over."), omadata.EINVALID, "keep")
	wantField(t, s.ResolveWitnessFork(ctx, same.ID, "new", "The other root."), omadata.EINVALID, "keep")
	if got := snapshotWitness(t, s); got != before {
		t.Fatalf("refused resolutions changed the store:\n%s\nwant\n%s", got, before)
	}
	if forks := must[[]*omadata.WitnessFork](t)(s.FindWitnessForks(ctx)); slices.ContainsFunc(forks, func(f *omadata.WitnessFork) bool { return f.ResolvedAt != nil }) {
		t.Fatal("a refused resolution resolved its fork")
	}
	ok(t, s.ResolveWitnessFork(ctx, smaller.ID, "old", "Explained."))
	ok(t, s.ResolveWitnessFork(ctx, same.ID, "old", "Explained."))
	ok(t, s.ResolveWitnessFork(ctx, larger.ID, "new", "The operator rotated its key and republished."))
	st := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin))
	if st.Forked || st.Size != 12 || st.RootHash != f.Root(t, 12).String() {
		t.Fatalf("after keeping the larger checkpoint: got %+v", st)
	}
}

// testWitnessReset: a log an admin removes and adds again starts afresh:
// the way to follow a log that started over (docs/witnessing.md §4),
// audited with the state forgotten. Added again without a removal, or
// after a fork, it keeps what it has (the forks stay until resolved).
func testWitnessReset(t *testing.T, s *store.Store) {
	ctx := Admin()
	l := NewTestLog(t, witnessOrigin)
	l.Append(t, 8)
	ok(t, s.PutWitnessedLog(ctx, adminLog(l, "Test.")))
	ok(t, s.AdvanceWitness(ctx, advance(l, t, &omadata.WitnessedLog{}, 8)))
	ok(t, s.PutWitnessedLog(ctx, adminLog(l, "Put again.")))
	if st := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin)); st.Size != 8 {
		t.Fatalf("put again: size %d, want 8 kept", st.Size)
	}
	// The log starts over: a smaller checkpoint of another history.
	f := l.Fork(2)
	f.Append(t, 3)
	fk := forkOf(t, l, f, 8, 5)
	ok(t, s.RecordWitnessFork(ctx, fk))
	ok(t, s.RemoveWitnessedLog(ctx, l.Origin, "The log started over."))
	ok(t, s.PutWitnessedLog(ctx, adminLog(l, "Its new history.")))
	st := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin))
	if !st.Active || st.Size != 0 || st.RootHash != "" || st.Checkpoint != "" || st.CosignedAt != nil || !st.Forked {
		t.Fatalf("added again: got %+v, want afresh and still frozen", st)
	}
	wantCode(t, s.AdvanceWitness(ctx, advance(f, t, st, 5)), omadata.EFORBIDDEN)
	ok(t, s.ResolveWitnessFork(ctx, fk.ID, "old", "The log started over; reset."))
	ok(t, s.AdvanceWitness(ctx, advance(f, t, st, 5)))
	rows, err := s.DB().QueryStrings(ctx, `SELECT action, details FROM admin_changes WHERE target_id = ? ORDER BY created_at, id`, l.Origin)
	ok(t, err)
	if n := len(rows); n != 4 || rows[3][0] != "witness.log_added" || !strings.Contains(rows[3][1], `"reset"`) || !strings.Contains(rows[3][1], l.Root(t, 8).String()) ||
		strings.Contains(rows[1][1], `"reset"`) {
		t.Fatalf("audited: got %q, want the reset with the state it forgot on the last add only", rows)
	}
}
