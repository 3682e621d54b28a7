// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// staticSource is a fixed list of witnesses.
type staticSource []omadata.WitnessRef

func (s staticSource) Witnesses(ctx context.Context) ([]omadata.WitnessRef, error) { return s, nil }

// newWitness returns a witness server of name with its own key seed, that
// witnesses l when l is not nil.
func newWitness(t *testing.T, name string, seed byte, l *witnesstest.Log) (*witnessEnv, omadata.WitnessRef) {
	t.Helper()
	e := newWitnessEnv(t, name, l)
	c, err := witness.NewCosigner(name, testKey(seed))
	if err != nil {
		t.Fatal(err)
	}
	e.Cosigner, e.Handler.Cosigner = c, c
	return e, omadata.WitnessRef{Name: name, VerifierKey: c.VerifierKey(), URL: e.URL(), Label: omadata.Text{"en": name}}
}

func progressOf(t *testing.T, st *witnesstest.Mem) map[string]*omadata.WitnessProgress {
	t.Helper()
	ps, err := st.WitnessProgress(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*omadata.WitnessProgress{}
	for _, p := range ps {
		out[p.Witness] = p
	}
	return out
}

func TestCollector(t *testing.T) {
	ctx := context.Background()
	own := testLog(t, "helsinki.example/log", 10)
	store := witnesstest.NewMem(own)

	fast, fastRef := newWitness(t, "espoo.example/witness", 1, own)
	_, refusingRef := newWitness(t, "turku.example/witness", 2, nil) // does not witness own: 404
	// slow answers only after the collector's timeout.
	slowEnv, slowRef := newWitness(t, "slow.example/witness", 3, own)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		slowEnv.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	slowRef.URL = slow.URL + "/witness/v1"
	// lying answers with a cosignature of a key other than the one we trust.
	_, lyingRef := newWitness(t, "lying.example/witness", 4, own)
	lyingRef.VerifierKey = mustCosigner(t, "lying.example/witness", 5).VerifierKey()

	logOut := &syncBuffer{}
	col := &witness.Collector{
		Log: own, Store: store, Witnesses: staticSource{slowRef, fastRef, refusingRef, lyingRef},
		Client: &witness.Client{}, Logger: slog.New(slog.NewTextHandler(logOut, nil)), Timeout: 700 * time.Millisecond,
	}
	start := time.Now()
	if err := col.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took < 700*time.Millisecond || took > 3*time.Second {
		t.Fatalf("RunOnce took %v, want about the 700ms timeout", took)
	}
	ps := progressOf(t, store)
	if p := ps[fastRef.Name]; p == nil || p.Size != 10 || p.CosignedAt == nil || p.LastError != "" || p.CosignedAt.Sub(start) > 500*time.Millisecond {
		t.Fatalf("fast witness progress %+v (start %v): delayed or failed", p, start)
	}
	if p := ps[slowRef.Name]; p == nil || p.Size != 0 || p.CosignedAt != nil || !strings.Contains(p.LastError, "deadline") || p.TriedAt == nil {
		t.Fatalf("slow witness progress %+v", p)
	}
	if p := ps[refusingRef.Name]; p == nil || p.CosignedAt != nil || !strings.Contains(p.LastError, "404") {
		t.Fatalf("refusing witness progress %+v", p)
	}
	if p := ps[lyingRef.Name]; p == nil || p.CosignedAt != nil || !strings.Contains(p.LastError, "no cosignature") {
		t.Fatalf("lying witness progress %+v", p)
	}
	cs, _ := store.FindCosignatures(ctx, 10)
	if len(cs) != 1 || cs[0].Witness != fastRef.Name || cs[0].Size != 10 || time.Since(cs[0].Time) > time.Minute {
		t.Fatalf("cosignatures %+v, want the fast witness's", cs)
	}
	cp, _ := own.LatestCheckpoint(ctx)
	if _, err := witness.NewPolicy(own.VerifierKey, "", []witness.PolicyWitness{{Label: "e", VerifierKey: fastRef.VerifierKey}}, 1).Verify([]byte(cp.Note + cs[0].Line)); err != nil {
		t.Fatal(err)
	}

	// The log grows: the fast witness is asked from 10 with the proof;
	// nothing is asked of a witness whose size is the latest.
	if _, err := own.Grow(ctx, 6, "grow"); err != nil {
		t.Fatal(err)
	}
	col.Witnesses = staticSource{fastRef}
	before := len(fast.Statuses)
	if err := col.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if p := progressOf(t, store)[fastRef.Name]; p.Size != 16 || p.LastError != "" {
		t.Fatalf("second round: %+v", p)
	}
	if err := col.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fast.Statuses[before:]; fmt.Sprint(got) != "[200]" {
		t.Fatalf("the fast witness answered %v, want one 200", got)
	}
	if h, _ := fast.State.WitnessedLog(ctx, own.Origin); h.Size != 16 {
		t.Fatalf("witness holds %d", h.Size)
	}
}

func mustCosigner(t *testing.T, name string, seed byte) *witness.Cosigner {
	t.Helper()
	c, err := witness.NewCosigner(name, testKey(seed))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCollectorConflict: a witness that cosigned before the collector
// remembers (progress lost, or another instance asked) answers 409 with
// its size; the collector asks again once from that size.
func TestCollectorConflict(t *testing.T) {
	ctx := context.Background()
	own := testLog(t, "helsinki.example/log", 4)
	store := witnesstest.NewMem(own)
	w, ref := newWitness(t, "espoo.example/witness", 1, own)
	if _, err := w.Handler.AddCheckpoint(ctx, request(t, own, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := own.Grow(ctx, 9, "grow"); err != nil {
		t.Fatal(err)
	}
	col := &witness.Collector{Log: own, Store: store, Witnesses: staticSource{ref}, Client: &witness.Client{}, Logger: slog.New(slog.DiscardHandler)}
	if err := col.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(w.Statuses); got != "[409 200]" {
		t.Fatalf("the witness answered %s, want [409 200]", got)
	}
	if p := progressOf(t, store)[ref.Name]; p.Size != 13 || p.LastError != "" {
		t.Fatalf("progress %+v", p)
	}
	if cs, _ := store.FindCosignatures(ctx, 13); len(cs) != 1 {
		t.Fatalf("cosignatures %+v", cs)
	}
	// A frozen witness refuses: the error is kept, the size too.
	if _, err := own.Grow(ctx, 1, "one"); err != nil {
		t.Fatal(err)
	}
	if err := w.State.RecordWitnessFork(ctx, &omadata.WitnessFork{Origin: own.Origin, Seen: omadata.ForkSeenPeerRecord}); err != nil {
		t.Fatal(err)
	}
	before := len(w.Statuses)
	if err := col.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(w.Statuses[before:]); got != "[403]" {
		t.Fatalf("frozen witness answered %s, want [403]", got)
	}
	if p := progressOf(t, store)[ref.Name]; p.Size != 13 || !strings.Contains(p.LastError, "403") {
		t.Fatalf("progress %+v", p)
	}

	// A witness that keeps answering 409 is asked twice, not more.
	var asked []string
	always := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		first, _, _ := strings.Cut(string(b), "\n")
		asked = append(asked, first)
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(409)
		fmt.Fprintf(rw, "%d\n", 3+len(asked))
	}))
	defer always.Close()
	col.Witnesses = staticSource{{Name: "always.example/witness", VerifierKey: mustCosigner(t, "always.example/witness", 9).VerifierKey(), URL: always.URL}}
	if err := col.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(asked); got != "[old 0 old 4]" {
		t.Fatalf("asked %s, want [old 0 old 4]", got)
	}
}

// TestCollectorRun: Run asks at once, then every interval, and stops
// with its context.
func TestCollectorRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	own := testLog(t, "helsinki.example/log", 3)
	store := witnesstest.NewMem(own)
	w, ref := newWitness(t, "espoo.example/witness", 1, own)
	col := &witness.Collector{Log: own, Store: store, Witnesses: staticSource{ref}, Client: &witness.Client{}, Logger: slog.New(slog.DiscardHandler)}
	done := make(chan struct{})
	go func() {
		col.Run(ctx, 20*time.Millisecond)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	grown := false
	for time.Now().Before(deadline) {
		p := progressOf(t, store)[ref.Name]
		if p != nil && p.Size == 3 && !grown {
			if _, err := own.Grow(context.Background(), 2, "more"); err != nil {
				t.Fatal(err)
			}
			grown = true
		}
		if p != nil && p.Size == 5 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
	if p := progressOf(t, store)[ref.Name]; p == nil || p.Size != 5 {
		t.Fatalf("progress %+v, want size 5", p)
	}
	if h, _ := w.State.WitnessedLog(context.Background(), own.Origin); h.Size != 5 {
		t.Fatalf("witness holds %d", h.Size)
	}
}
