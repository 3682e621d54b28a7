// SPDX-License-Identifier: Apache-2.0

package witnesstest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// CheckWitnessService runs the witness (internal/witness.Handler) and
// CheckSeen over st and checks the state and evidence they leave
// (docs/witnessing.md §2, §4), then the collector's side (cosignatures,
// progress). It runs on Mem in internal/witness's tests; the store suite
// runs it on the database store, so both behave alike. st must be empty;
// ctx carries a caller allowed to resolve forks (an admin), since
// resolving is audited.
func CheckWitnessService(t *testing.T, ctx context.Context, st omadata.WitnessService) {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = 9
	c, err := witness.NewCosigner("check.example/witness", ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	h := &witness.Handler{State: st, Cosigner: c, Logger: slog.New(slog.DiscardHandler)}
	l, err := NewLog("checked.example/log")
	if err != nil {
		t.Fatal(err)
	}
	forked, err := NewLogWithKey(l.Origin, l.Key)
	if err != nil {
		t.Fatal(err)
	}
	add := func(old int64, from *Log) (string, error) {
		t.Helper()
		cp, err := from.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := from.TreeProof(ctx, old, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		return h.AddCheckpoint(ctx, &witness.Request{OldSize: old, Proof: proof, Checkpoint: []byte(cp.Note)})
	}
	status := func(err error) int {
		var he *witness.HTTPError
		if errors.As(err, &he) {
			return he.Status
		} else if err != nil {
			t.Fatalf("AddCheckpoint: %v", err)
		}
		return 200
	}
	held := func() *omadata.WitnessedLog {
		t.Helper()
		w, err := st.WitnessedLog(ctx, l.Origin)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	grow := func(lg *Log, n int, tag string) *omadata.Checkpoint {
		t.Helper()
		cp, err := lg.Grow(ctx, n, tag)
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}

	if _, err := st.WitnessedLog(ctx, l.Origin); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("unknown origin: got %v, want not found", err)
	}
	cp10 := grow(l, 10, "a")
	if _, err := add(0, l); status(err) != 404 {
		t.Fatalf("unknown origin: got %v, want 404", err)
	}
	put := func(active bool) {
		t.Helper()
		if err := st.PutWitnessedLog(ctx, &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: omadata.WitnessLogPeer, OperatorID: "https://checked.example", Active: active}); err != nil {
			t.Fatal(err)
		}
	}
	put(true)
	if w := held(); w.Size != 0 || w.Checkpoint != "" || w.Forked || !w.Active || w.VerifierKeys[0] != l.VerifierKey {
		t.Fatalf("new log: %+v", w)
	}
	if _, err := add(0, l); status(err) != 200 {
		t.Fatalf("first contact: %v", err)
	}
	if w := held(); w.Size != 10 || w.RootHash != cp10.RootHash || w.Checkpoint != cp10.Note || w.CosignedAt == nil {
		t.Fatalf("after the first cosignature: %+v", w)
	}
	var conflict *omadata.WitnessConflict
	err = st.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, OldSize: 0, Size: 10, RootHash: cp10.RootHash, Checkpoint: cp10.Note})
	if !errors.As(err, &conflict) || conflict.Size != 10 {
		t.Fatalf("advance from a stale size: got %v, want WitnessConflict{10}", err)
	}
	err = st.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, OldSize: 10, OldRoot: grow(forked, 10, "f").RootHash, Size: 10, RootHash: cp10.RootHash, Checkpoint: cp10.Note})
	if !errors.As(err, &conflict) || conflict.Size != 10 {
		t.Fatalf("advance from another root: got %v, want WitnessConflict{10}", err)
	}
	if _, err := add(0, l); status(err) != 409 {
		t.Fatalf("stale old: got %v, want 409", err)
	}
	cp15 := grow(l, 5, "b")
	if _, err := add(10, l); status(err) != 200 || held().Size != 15 {
		t.Fatalf("growth: %v, %+v", err, held())
	}

	// Inactive: 404, the state kept.
	put(false)
	grow(l, 1, "c")
	if _, err := add(15, l); status(err) != 404 {
		t.Fatalf("inactive: got %v, want 404", err)
	}
	if err := st.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, OldSize: 15, OldRoot: cp15.RootHash, Size: 15, RootHash: cp15.RootHash, Checkpoint: cp15.Note}); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("advance inactive: got %v, want not found", err)
	}
	put(true)
	if w := held(); w.Size != 15 || w.Checkpoint != cp15.Note {
		t.Fatalf("state after reactivation: %+v", w)
	}

	// A peer's checkpoint read elsewhere, consistent: nothing recorded.
	cp16, _ := l.LatestCheckpoint(ctx)
	if err := witness.CheckSeen(ctx, st, []byte(cp16.Note), l.TreeProof); err != nil {
		t.Fatalf("CheckSeen consistent: %v", err)
	}
	// A fork of the same size: 409, evidence, frozen.
	f15 := grow(forked, 5, "g")
	if _, err := add(15, forked); status(err) != 409 {
		t.Fatalf("fork: got %v, want 409", err)
	}
	forks, err := st.FindWitnessForks(ctx)
	if err != nil || len(forks) != 1 {
		t.Fatalf("forks: %v, %v", forks, err)
	}
	f := forks[0]
	if !strings.HasPrefix(f.ID, omadata.PrefixWitnessFork) || f.Origin != l.Origin || f.Seen != omadata.ForkSeenAddCheckpoint || f.Known != cp15.Note || f.Conflicting != f15.Note || f.DetectedAt.IsZero() || f.ResolvedAt != nil {
		t.Fatalf("evidence %+v", f)
	}
	if !held().Forked {
		t.Fatal("origin not frozen")
	}
	if _, err := add(15, l); status(err) != 403 {
		t.Fatalf("frozen: got %v, want 403", err)
	}
	if err := st.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, OldSize: 15, OldRoot: cp15.RootHash, Size: 16, RootHash: cp16.RootHash, Checkpoint: cp16.Note}); omadata.ErrorCode(err) != omadata.EFORBIDDEN {
		t.Fatalf("advance frozen: got %v, want forbidden", err)
	}
	// Resolved keeping the old one: the honest log goes on.
	if err := st.ResolveWitnessFork(ctx, f.ID, "old", "the log's operator rotated its key"); err != nil {
		t.Fatal(err)
	}
	if w := held(); w.Forked || w.Size != 15 || w.Checkpoint != cp15.Note {
		t.Fatalf("after resolving: %+v", w)
	}
	if forks, _ := st.FindWitnessForks(ctx); len(forks) != 1 || forks[0].ResolvedAt == nil || forks[0].Resolution != "old" || forks[0].Known != cp15.Note {
		t.Fatalf("resolved evidence %+v", forks)
	}
	if _, err := add(15, l); status(err) != 200 || held().Size != 16 {
		t.Fatalf("after resolving: %v, %+v", err, held())
	}
	// A peer's checkpoint read elsewhere that forks: recorded as such.
	var fe *witness.ForkError
	if err := witness.CheckSeen(ctx, st, []byte(grow(forked, 1, "h").Note), forked.TreeProof); !errors.As(err, &fe) || !fe.Recorded {
		t.Fatalf("CheckSeen fork: got %v", err)
	}
	if forks, _ := st.FindWitnessForks(ctx); len(forks) != 2 || forks[0].Seen != omadata.ForkSeenPeerRecord || !held().Forked {
		t.Fatalf("forks after CheckSeen %+v", forks)
	}

	// The collector's side.
	now := time.Now().UTC().Truncate(time.Second)
	line := func(w string) string { return "— " + w + " AAAA\n" }
	if err := st.AddCosignatures(ctx, 7, []*omadata.Cosignature{{Size: 7, Witness: "a.example/witness", KeyHash: 1, Time: now, Line: line("a.example/witness"), ReceivedAt: now}}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddCosignatures(ctx, 9, []*omadata.Cosignature{
		{Size: 9, Witness: "a.example/witness", KeyHash: 1, Time: now, Line: line("a.example/witness"), ReceivedAt: now},
		{Size: 9, Witness: "b.example/witness", KeyHash: 2, Time: now, Line: line("b.example/witness"), ReceivedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddCosignatures(ctx, 9, []*omadata.Cosignature{{Size: 9, Witness: "a.example/witness", KeyHash: 1, Time: now.Add(time.Second), Line: "— a.example/witness BBBB\n", ReceivedAt: now}}); err != nil {
		t.Fatal(err)
	}
	cs, err := st.FindCosignatures(ctx, 9)
	if err != nil || len(cs) != 2 {
		t.Fatalf("cosignatures of 9: %+v, %v", cs, err)
	}
	for _, c := range cs {
		if c.Line != line(c.Witness) || c.Size != 9 {
			t.Fatalf("cosignature %+v: the first line of a witness is kept", c)
		}
	}
	if sizes, err := st.CosignedSizes(ctx, 1); err != nil || len(sizes) != 1 || sizes[0] != 9 {
		t.Fatalf("CosignedSizes(1) = %v, %v", sizes, err)
	}
	if sizes, _ := st.CosignedSizes(ctx, 5); len(sizes) != 2 || sizes[1] != 7 {
		t.Fatalf("CosignedSizes(5) = %v", sizes)
	}
	if err := st.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "a.example/witness", Size: 9, CosignedAt: &now, TriedAt: &now}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "a.example/witness", Size: 9, CosignedAt: &now, LastError: "witness: 503", TriedAt: &now}); err != nil {
		t.Fatal(err)
	}
	ps, err := st.WitnessProgress(ctx)
	if err != nil || len(ps) != 1 || ps[0].Size != 9 || ps[0].LastError != "witness: 503" || ps[0].CosignedAt == nil || !ps[0].CosignedAt.Equal(now) {
		t.Fatalf("progress %+v, %v", ps, err)
	}
}
