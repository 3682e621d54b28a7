// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

func TestCheckSeen(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "peer.example/log", 10)
	cp10, _ := l.LatestCheckpoint(ctx)
	if _, err := l.Grow(ctx, 5, "grow"); err != nil {
		t.Fatal(err)
	}
	cp15, _ := l.LatestCheckpoint(ctx)
	if _, err := l.Grow(ctx, 5, "grow2"); err != nil {
		t.Fatal(err)
	}
	cp20, _ := l.LatestCheckpoint(ctx)
	forked, _ := witnesstest.NewLogWithKey(l.Origin, l.Key)
	if _, err := forked.Grow(ctx, 15, "forked"); err != nil {
		t.Fatal(err)
	}
	f15, _ := forked.LatestCheckpoint(ctx)
	if _, err := forked.Grow(ctx, 5, "forked2"); err != nil {
		t.Fatal(err)
	}
	f20, _ := forked.LatestCheckpoint(ctx)
	stranger := testLog(t, l.Origin, 15)
	s15, _ := stranger.LatestCheckpoint(ctx)

	// newState holds cp15 of l, as if cosigned.
	newState := func(t *testing.T) *witnesstest.Mem {
		st := witnesstest.NewMem(nil)
		if err := st.PutWitnessedLog(ctx, &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: omadata.WitnessLogPeer, Active: true}); err != nil {
			t.Fatal(err)
		}
		if err := st.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, Size: 15, RootHash: cp15.RootHash, Checkpoint: cp15.Note}); err != nil {
			t.Fatal(err)
		}
		return st
	}
	proofsOf := func(src *witnesstest.Log, calls *[][2]int64) func(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
		return func(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
			*calls = append(*calls, [2]int64{old, new})
			return src.TreeProof(ctx, old, new)
		}
	}
	for _, c := range []struct {
		name string
		seen string
		src  *witnesstest.Log
		call [2]int64 // the proof asked for; zero: none
		fork bool
		code string // the error code when not a fork
	}{
		{"same", cp15.Note, l, [2]int64{}, false, ""},
		{"bigger, consistent", cp20.Note, l, [2]int64{15, 20}, false, ""},
		{"smaller, consistent", cp10.Note, l, [2]int64{10, 15}, false, ""},
		{"same size, another root", f15.Note, forked, [2]int64{}, true, ""},
		{"bigger, inconsistent", f20.Note, forked, [2]int64{15, 20}, true, ""},
		{"smaller, inconsistent", cp10.Note, forked, [2]int64{10, 15}, true, ""},
		{"another key", s15.Note, stranger, [2]int64{}, false, omadata.EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newState(t)
			var calls [][2]int64
			err := witness.CheckSeen(ctx, st, []byte(c.seen), proofsOf(c.src, &calls))
			if c.call != ([2]int64{}) && (len(calls) != 1 || calls[0] != c.call) {
				t.Fatalf("proofs asked %v, want %v", calls, c.call)
			}
			forks, _ := st.FindWitnessForks(ctx)
			var fe *witness.ForkError
			switch {
			case c.fork:
				if !errors.As(err, &fe) || !fe.Recorded || len(forks) != 1 || forks[0].Seen != omadata.ForkSeenPeerRecord || forks[0].Known != cp15.Note || forks[0].Conflicting != c.seen {
					t.Fatalf("got %v, forks %+v; want a recorded fork", err, forks)
				}
				// Seen again while frozen: returned, not recorded twice.
				err := witness.CheckSeen(ctx, st, []byte(c.seen), proofsOf(c.src, &calls))
				forks, _ = st.FindWitnessForks(ctx)
				if !errors.As(err, &fe) || fe.Recorded || len(forks) != 1 {
					t.Fatalf("again: %v, %d forks", err, len(forks))
				}
			case c.code != "":
				if omadata.ErrorCode(err) != c.code || len(forks) != 0 {
					t.Fatalf("got %v (%s), %d forks; want %s", err, omadata.ErrorCode(err), len(forks), c.code)
				}
			default:
				if err != nil || len(forks) != 0 {
					t.Fatalf("got %v, %d forks; want nil", err, len(forks))
				}
			}
			// The state never moves.
			if h, _ := st.WitnessedLog(ctx, l.Origin); h.Size != 15 || h.Checkpoint != cp15.Note {
				t.Fatalf("state moved: %+v", h)
			}
		})
	}
	// An origin not witnessed, and a proof that cannot be fetched.
	st := witnesstest.NewMem(nil)
	if err := witness.CheckSeen(ctx, st, []byte(cp15.Note), nil); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("unknown origin: %v", err)
	}
	// A log that refuses to prove sizes it signed: a fork.
	st = newState(t)
	refusing := func(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
		return nil, &witness.StatusError{Status: 400, Body: "The tree size must be from 1 to 15."}
	}
	var fe0 *witness.ForkError
	if err := witness.CheckSeen(ctx, st, []byte(f20.Note), refusing); !errors.As(err, &fe0) || !fe0.Recorded || fe0.Fork.ID == "" {
		t.Fatalf("refused proof: got %v, want a recorded fork", err)
	}
	st = newState(t)
	failing := func(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
		return nil, errors.New("unreachable")
	}
	err := witness.CheckSeen(ctx, st, []byte(cp20.Note), failing)
	var fe *witness.ForkError
	if err == nil || errors.As(err, &fe) {
		t.Fatalf("unfetchable proof: got %v, want an error that is no fork", err)
	}
}
