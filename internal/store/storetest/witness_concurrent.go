// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/witness"
)

// SecondInstance returns a second store on s's database with pools of
// its own, as a second operator process on one database is.
func SecondInstance(t testing.TB, s *store.Store) *store.Store {
	t.Helper()
	db, err := s.DB().Reopen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store.New(db, store.WithIssuer("https://omadata.test"))
}

// witnessCalls is how many add-checkpoint requests the two instances
// answer together (issue 18: 10,000), in witnessRounds rounds; witnessWorkers
// is how many clients send them at once, which keeps the case within its
// time on a small machine.
const (
	witnessCalls   = 10000
	witnessRounds  = 100
	witnessWorkers = 12
	witnessStep    = 4 // leaves each history of a round adds
)

// testWitnessConcurrentInstances: two instances on one database, each
// with its own witness.Handler, answer 10,000 add-checkpoint requests sent
// concurrently for one log. The requests come in rounds: in each, the log
// forks at the checkpoint the witness holds into two histories signed with
// the same key, and half the clients send checkpoints of one, half of the
// other, all at once, from the same old size, with valid consistency
// proofs. No two cosignatures (200s) are of different roots of one size,
// in a round or across rounds: the compare-and-swap of AdvanceWitness lets
// only one request move the state from where it was, and the other
// history is then refused as a fork. Between rounds an admin resolves the
// forks, keeping the old checkpoint.
func testWitnessConcurrentInstances(t *testing.T, s *store.Store) {
	ctx := Admin()
	trunk := NewTestLog(t, witnessOrigin)
	trunk.Append(t, 2)
	ok(t, s.PutWitnessedLog(ctx, adminLog(trunk, "Witnessed by two instances.")))

	_, key, err := ed25519.GenerateKey(rand.Reader)
	ok(t, err)
	cosigner, err := witness.NewCosigner("witness.omadata.test/witness", key)
	ok(t, err)
	cosVerifier, err := witness.NewCosignatureVerifier(cosigner.VerifierKey())
	ok(t, err)
	logVerifier, err := note.NewVerifier(trunk.VerifierKey)
	ok(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	second := SecondInstance(t, s)
	handlers := []*witness.Handler{
		{State: s, Cosigner: cosigner, Logger: quiet},
		{State: second, Cosigner: cosigner, Logger: quiet},
	}

	type signedCP struct {
		note string
		root tlog.Hash
	}
	var (
		mu       sync.Mutex
		cosigned = map[int64]tlog.Hash{} // size → the root cosigned
		statuses = map[int]int{}
		failure  string
		moved    int // rounds in which one history won the race
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if failure == "" {
			failure = fmt.Sprintf(format, args...)
		}
	}
	held := int64(0) // the size the witness holds
	for round := range witnessRounds {
		// Two histories forking at the checkpoint held, each signed once.
		var branches [2]*TestLog
		var cps [2]map[int64]signedCP
		for i := range branches {
			branches[i] = trunk.Fork(held)
			branches[i].tag = fmt.Sprintf("%d.%d", round, i)
			branches[i].Append(t, witnessStep)
			cps[i] = map[int64]signedCP{}
			for n := max(held, 1); n <= held+witnessStep; n++ {
				cps[i][n] = signedCP{branches[i].Checkpoint(t, n), branches[i].Root(t, n)}
			}
		}
		var next atomic.Int64
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range witnessWorkers {
			wg.Go(func() {
				rnd := mrand.New(mrand.NewPCG(uint64(round), uint64(w)))
				h, branch := handlers[w%2], (w/2)%2
				l := branches[branch]
				known := held // the size this client believes the witness holds
				<-start
				for next.Add(1) <= witnessCalls/witnessRounds {
					n := min(known+1+int64(rnd.IntN(witnessStep)), held+witnessStep)
					if n < known {
						n = known
					}
					cp, inRound := cps[branch][n]
					if !inRound { // the other history's size, beyond this one's
						cp, n = cps[branch][held+witnessStep], held+witnessStep
					}
					req := &witness.Request{OldSize: known, Checkpoint: []byte(cp.note)}
					if known > 0 && known < n {
						p, err := tlog.ProveTree(n, known, l.reader())
						if err != nil {
							fail("prove %d to %d: %v", known, n, err)
							return
						}
						req.Proof = p
					}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/witness/v1/add-checkpoint", bytes.NewReader(req.Marshal())))
					body := rec.Body.String()
					mu.Lock()
					statuses[rec.Code]++
					mu.Unlock()
					switch rec.Code {
					case http.StatusOK:
						// A real cosignature of the checkpoint sent.
						if _, err := note.Open([]byte(cp.note+body), note.VerifierList(logVerifier, cosVerifier)); err != nil {
							fail("200 for size %d: the cosignature does not verify: %v", n, err)
							return
						}
						mu.Lock()
						r, seen := cosigned[n]
						cosigned[n] = cp.root
						mu.Unlock()
						if seen && r != cp.root {
							fail("round %d: two roots cosigned for size %d: %s and %s", round, n, r, cp.root)
							return
						}
						known = n
					case http.StatusConflict:
						got, err := strconv.ParseInt(strings.TrimSuffix(body, "\n"), 10, 64)
						if err != nil {
							fail("409 with body %q", body)
							return
						}
						known = max(got, known)
					case http.StatusForbidden, http.StatusUnprocessableEntity:
						// The other history refused (its proof does not
						// verify), or the origin frozen by a fork of it
						// until the round ends.
					default:
						fail("status %d: %s", rec.Code, body)
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if failure != "" {
			t.Fatal(failure)
		}
		// The round's winner is the history the witness holds now; the
		// admin resolves the round's forks, keeping it.
		st := must[*omadata.WitnessedLog](t)(second.WitnessedLog(ctx, trunk.Origin))
		switch {
		case st.Size == held:
		case st.RootHash == cps[0][st.Size].root.String():
			trunk = branches[0]
		case st.RootHash == cps[1][st.Size].root.String():
			trunk = branches[1]
		default:
			t.Fatalf("round %d: the witness holds %d %s, of neither history", round, st.Size, st.RootHash)
		}
		if st.Size > held {
			moved++
		}
		for _, f := range must[[]*omadata.WitnessFork](t)(s.FindWitnessForks(ctx)) {
			if f.ResolvedAt == nil {
				ok(t, s.ResolveWitnessFork(ctx, f.ID, "old", "Resolved by the test."))
			}
		}
		held = st.Size
	}
	total := 0
	for _, n := range statuses {
		total += n
	}
	forks := len(must[[]*omadata.WitnessFork](t)(s.FindWitnessForks(ctx)))
	t.Logf("%d calls: %v; %d sizes cosigned in %d rounds; %d forks caught", total, statuses, len(cosigned), moved, forks)
	if total != witnessCalls {
		t.Fatalf("got %d answers, want %d", total, witnessCalls)
	}
	// The rounds raced the two histories: in most one won, and the other
	// was refused, some of it caught as a fork.
	if moved < witnessRounds*9/10 || statuses[http.StatusConflict] == 0 || statuses[http.StatusUnprocessableEntity]+forks == 0 || forks == 0 {
		t.Fatalf("answers %v, %d rounds moved, %d forks: the run did not race the histories", statuses, moved, forks)
	}
	// The state holds a checkpoint it cosigned, of the root cosigned.
	l := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, trunk.Origin))
	if r, seen := cosigned[l.Size]; !seen || r.String() != l.RootHash || l.Forked {
		t.Fatalf("state at %d %s (forked %v), cosigned %s for that size", l.Size, l.RootHash, l.Forked, r)
	}
}
