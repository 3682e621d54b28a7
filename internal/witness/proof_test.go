// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// TestClientConsistencyProof fetches proofs from a log API serving
// omadata.ConsistencyProof as the public log API does, and the proof
// fetched settles a wrong submitted proof at the handler.
func TestClientConsistencyProof(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 10)
	lie := false
	api := logAPI(t, l, &lie)
	c := &witness.Client{}
	endpoint := api.URL + "/api/v1/public/log"
	if _, err := l.Grow(ctx, 5, "more"); err != nil {
		t.Fatal(err)
	}
	cp10, _ := l.CheckpointAt(10)
	cp15, _ := l.LatestCheckpoint(ctx)
	proof, err := c.ConsistencyProof(ctx, endpoint, 10, 15)
	if err != nil {
		t.Fatal(err)
	}
	r10, _ := tlog.ParseHash(cp10.RootHash)
	r15, _ := tlog.ParseHash(cp15.RootHash)
	if err := tlog.CheckTree(proof, 15, r15, 10, r10); err != nil {
		t.Fatalf("fetched proof: %v", err)
	}
	var se *witness.StatusError
	if _, err := c.ConsistencyProof(ctx, endpoint, 16, 15); !errors.As(err, &se) || se.Status != 400 {
		t.Fatalf("bad sizes: %v", err)
	}
	lie = true
	if _, err := c.ConsistencyProof(ctx, endpoint, 10, 15); err == nil {
		t.Fatal("a proof of other sizes was accepted")
	}
}

// logAPI serves l's consistency proofs as the public log API does:
// omadata.ConsistencyProof as JSON, 400 for sizes the log has no tree of.
// With *lie, the proof claims other sizes.
func logAPI(t *testing.T, l *witnesstest.Log, lie *bool) *httptest.Server {
	t.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/public/log/proofs/consistency" {
			http.NotFound(w, r)
			return
		}
		old, _ := strconv.ParseInt(r.URL.Query().Get("old"), 10, 64)
		new, _ := strconv.ParseInt(r.URL.Query().Get("new"), 10, 64)
		p, err := l.ProveConsistency(r.Context(), old, new)
		if err != nil {
			http.Error(w, omadata.ErrorMessage(err), 400)
			return
		}
		if lie != nil && *lie {
			p.New++
		}
		json.NewEncoder(w).Encode(p)
	}))
	t.Cleanup(api.Close)
	return api
}

// TestPeerLogProofs: a witness that asks a peer's log for its own proof
// records a fork only when that proof fails too, or the log refuses to
// prove a size it signed; never for a log it cannot ask.
func TestPeerLogProofs(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		source string
		down   bool
		submit func(t *testing.T, l, forked *witnesstest.Log) *witness.Request
		fork   bool
	}{
		{"honest checkpoint, wrong proof", omadata.WitnessLogPeer, false, func(t *testing.T, l, _ *witnesstest.Log) *witness.Request {
			l.Grow(ctx, 5, "more")
			r := request(t, l, 10)
			r.Proof[0][0] ^= 1
			return r
		}, false},
		{"a size the log does not have", omadata.WitnessLogPeer, false, func(t *testing.T, l, forked *witnesstest.Log) *witness.Request {
			forked.Grow(ctx, 17, "forked")
			return request(t, forked, 10)
		}, true},
		{"the log's tree is another", omadata.WitnessLogPeer, false, func(t *testing.T, l, forked *witnesstest.Log) *witness.Request {
			l.Grow(ctx, 10, "more")
			forked.Grow(ctx, 17, "forked")
			return request(t, forked, 10)
		}, true},
		{"an admin-added log is not asked", omadata.WitnessLogAdmin, false, func(t *testing.T, l, forked *witnesstest.Log) *witness.Request {
			forked.Grow(ctx, 17, "forked")
			return request(t, forked, 10)
		}, false},
		{"the log is down", omadata.WitnessLogPeer, true, func(t *testing.T, l, forked *witnesstest.Log) *witness.Request {
			forked.Grow(ctx, 17, "forked")
			return request(t, forked, 10)
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, l, forked := forkEnv(t)
			api := logAPI(t, l, nil)
			if err := e.State.PutWitnessedLog(ctx, &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: c.source, OperatorID: api.URL, Active: true}); err != nil {
				t.Fatal(err)
			}
			if c.down {
				api.Close()
			}
			e.Handler.FetchProof = witness.PeerLogProofs(e.State, &witness.Client{})
			req := c.submit(t, l, forked)
			if status, _, body := e.post(t, req.Marshal()); status != 422 {
				t.Fatalf("got %d %q, want 422", status, body)
			}
			if got := e.held(t).Forked; got != c.fork || len(e.Forks) != map[bool]int{true: 1}[c.fork] {
				t.Fatalf("frozen %v, %d forks; want a fork %v", got, len(e.Forks), c.fork)
			}
		})
	}
}
