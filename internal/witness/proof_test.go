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
)

// TestClientConsistencyProof fetches proofs from a log API serving
// omadata.ConsistencyProof as the public log API does, and the proof
// fetched settles a wrong submitted proof at the handler.
func TestClientConsistencyProof(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 10)
	lie := false
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
		if lie {
			p.New++
		}
		json.NewEncoder(w).Encode(p)
	}))
	defer api.Close()
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
