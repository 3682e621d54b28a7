// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// TestHandlerProofFetchedOnce: add-checkpoint is unauthenticated, and a
// wrong proof makes the witness ask the log for its own (security review
// of issue 18, finding 6). The log is asked once per (origin, sizes,
// roots) a minute, however many requests, one after another or at once;
// after a minute it is asked again.
func TestHandlerProofFetchedOnce(t *testing.T) {
	ctx := context.Background()
	e, l, _ := forkEnv(t)
	var asked atomic.Int32
	gate := make(chan struct{})
	close(gate)
	var gateMu sync.Mutex
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		gateMu.Lock()
		g := gate
		gateMu.Unlock()
		<-g
		old, _ := strconv.ParseInt(r.URL.Query().Get("old"), 10, 64)
		new, _ := strconv.ParseInt(r.URL.Query().Get("new"), 10, 64)
		p, err := l.ProveConsistency(r.Context(), old, new)
		if err != nil {
			http.Error(w, omadata.ErrorMessage(err), 400)
			return
		}
		json.NewEncoder(w).Encode(p)
	}))
	t.Cleanup(api.Close)
	if err := e.State.PutWitnessedLog(ctx, &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: omadata.WitnessLogPeer, OperatorID: api.URL, Active: true}); err != nil {
		t.Fatal(err)
	}
	e.Handler.FetchProof = witness.PeerLogProofs(e.State, &witness.Client{})
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	witness.SetNow(e.Handler, func() time.Time { return time.Unix(0, clock.Load()) })

	post := func(body []byte) int {
		resp, err := http.Post(e.URL()+"/add-checkpoint", "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	wrong := func() []byte {
		req := request(t, l, 10)
		req.Proof[0][0] ^= 1
		return req.Marshal()
	}

	// One after another.
	if _, err := l.Grow(ctx, 5, "more"); err != nil {
		t.Fatal(err)
	}
	body := wrong()
	for range 5 {
		if status := post(body); status != 422 {
			t.Fatalf("wrong proof: %d, want 422", status)
		}
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("five wrong proofs of one checkpoint: the log was asked %d times, want once", n)
	}

	// At once, while the log is slow to answer.
	if _, err := l.Grow(ctx, 1, "more"); err != nil {
		t.Fatal(err)
	}
	body = wrong()
	gateMu.Lock()
	gate = make(chan struct{})
	release := gate
	gateMu.Unlock()
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() { statuses[i] = post(body) })
	}
	for asked.Load() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	for _, s := range statuses {
		if s != 422 {
			t.Errorf("statuses %v, want 422 each", statuses)
			break
		}
	}
	if n := asked.Load(); n != 2 {
		t.Errorf("eight concurrent wrong proofs of another checkpoint: the log was asked %d times in all, want 2", n)
	}

	// A minute later the log is asked again.
	clock.Add(int64(witness.ProofCacheTTL))
	if status := post(body); status != 422 {
		t.Fatalf("wrong proof a minute later: %d, want 422", status)
	}
	if n := asked.Load(); n != 3 {
		t.Errorf("a minute later: asked %d times in all, want 3", n)
	}
	if h := e.held(t); h.Forked || len(e.Forks) != 0 {
		t.Fatalf("the log's own proof verifies, yet state %+v, forks %v", h, e.Forks)
	}
	if status := post(requestBody(t, l, 10)); status != 200 {
		t.Fatalf("right proof: %d", status)
	}
}
