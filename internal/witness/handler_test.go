// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// syncBuffer is a log destination the server goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// witnessEnv is a witness server over an in-memory state that witnesses
// the log Log.
type witnessEnv struct {
	Log      *witnesstest.Log
	State    *witnesstest.Mem
	Cosigner *witness.Cosigner
	Handler  *witness.Handler
	Server   *httptest.Server
	LogOut   *syncBuffer
	Forks    []*omadata.WitnessFork
	Statuses []int
	mu       sync.Mutex
}

func newWitnessEnv(t *testing.T, name string, l *witnesstest.Log) *witnessEnv {
	t.Helper()
	ctx := context.Background()
	c, err := witness.NewCosigner(name, testKey(42))
	if err != nil {
		t.Fatal(err)
	}
	e := &witnessEnv{Log: l, State: witnesstest.NewMem(nil), Cosigner: c, LogOut: &syncBuffer{}}
	if l != nil {
		if err := e.State.PutWitnessedLog(ctx, &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: omadata.WitnessLogAdmin, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.Handler = &witness.Handler{
		State: e.State, Cosigner: c, Logger: slog.New(slog.NewTextHandler(e.LogOut, nil)),
		OnFork: func(f *omadata.WitnessFork) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.Forks = append(e.Forks, f)
		},
		OnAnswer: func(status int) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.Statuses = append(e.Statuses, status)
		},
	}
	mux := http.NewServeMux()
	mux.Handle("/witness/v1/add-checkpoint", e.Handler)
	e.Server = httptest.NewServer(mux)
	t.Cleanup(e.Server.Close)
	return e
}

func (e *witnessEnv) URL() string { return e.Server.URL + "/witness/v1" }

// post sends body and returns the status, content type and body.
func (e *witnessEnv) post(t *testing.T, body []byte) (int, string, string) {
	t.Helper()
	resp, err := http.Post(e.URL()+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// held returns the size the witness holds for origin.
func (e *witnessEnv) held(t *testing.T) *omadata.WitnessedLog {
	t.Helper()
	l, err := e.State.WitnessedLog(context.Background(), e.Log.Origin)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// expectCosigned checks a 200 answer: one line that verifies with the
// witness's verifier key on the checkpoint text.
func expectCosigned(t *testing.T, e *witnessEnv, status int, ctype, body string, signed []byte) {
	t.Helper()
	if status != http.StatusOK || ctype != "text/plain; charset=utf-8" {
		t.Fatalf("got %d %s %q, want 200 text/plain", status, ctype, body)
	}
	if strings.Count(body, "\n") != 1 || !strings.HasPrefix(body, "— "+e.Cosigner.Name()+" ") {
		t.Fatalf("answer %q is not one cosignature line", body)
	}
	v, err := witness.NewCosignatureVerifier(e.Cosigner.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(string(signed), "\n\n")
	if _, err := openLine(text+"\n", body, v); err != nil {
		t.Fatalf("the cosignature does not verify: %v", err)
	}
}

func TestHandlerAddCheckpoint(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 10)
	e := newWitnessEnv(t, "espoo.example/witness", l)

	// First contact: old 0, no proof.
	req := request(t, l, 0)
	status, ctype, body := e.post(t, req.Marshal())
	expectCosigned(t, e, status, ctype, body, req.Checkpoint)
	if h := e.held(t); h.Size != 10 || h.Checkpoint != string(req.Checkpoint) || h.CosignedAt == nil {
		t.Fatalf("state after 200: %+v", h)
	}

	// Old 0 again: 409 with the size held.
	if status, ctype, body := e.post(t, requestBody(t, l, 0)); status != 409 || ctype != "text/x.tlog.size" || body != "10\n" {
		t.Fatalf("stale old: got %d %s %q, want 409 text/x.tlog.size \"10\\n\"", status, ctype, body)
	}

	// Re-cosigning the checkpoint held: a fresh cosignature.
	status, ctype, body = e.post(t, requestBody(t, l, 10))
	expectCosigned(t, e, status, ctype, body, req.Checkpoint)

	// The log grows: old 10 with the proof.
	if _, err := l.Grow(ctx, 7, "more"); err != nil {
		t.Fatal(err)
	}
	req = request(t, l, 10)
	status, ctype, body = e.post(t, req.Marshal())
	expectCosigned(t, e, status, ctype, body, req.Checkpoint)
	if h := e.held(t); h.Size != 17 {
		t.Fatalf("held size %d, want 17", h.Size)
	}

	// A checkpoint with extension lines and signatures of unknown keys
	// besides the log's (one bad, from a key the witness does not know).
	if _, err := l.Grow(ctx, 1, "ext"); err != nil {
		t.Fatal(err)
	}
	cp, _ := l.LatestCheckpoint(ctx)
	text, _, _ := strings.Cut(cp.Note, "\n\n")
	stranger := testLog(t, "stranger.example/log", 0)
	extText := text + "\nextension line\n"
	signed, err := l.Sign(extText)
	if err != nil {
		t.Fatal(err)
	}
	strangerSigned, _ := stranger.Sign(extText)
	_, strangerLine, _ := strings.Cut(string(strangerSigned), "\n\n")
	withStranger := []byte(extText + "\n" + strangerLine + string(signed[len(extText)+1:]))
	proof, _ := l.TreeProof(ctx, 17, 18)
	ereq := &witness.Request{OldSize: 17, Proof: proof, Checkpoint: withStranger}
	status, ctype, body = e.post(t, ereq.Marshal())
	expectCosigned(t, e, status, ctype, body, withStranger)
	if h := e.held(t); h.Size != 18 || h.Checkpoint != string(withStranger) {
		t.Fatalf("state: %+v", h)
	}
	if len(e.Forks) != 0 {
		t.Fatalf("forks recorded: %+v", e.Forks)
	}
}

func TestHandlerRefuses(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 10)
	e := newWitnessEnv(t, "espoo.example/witness", l)
	if status, _, body := e.post(t, requestBody(t, l, 0)); status != 200 {
		t.Fatalf("first contact: %d %q", status, body)
	}
	if _, err := l.Grow(ctx, 5, "grow"); err != nil {
		t.Fatal(err)
	}
	good := request(t, l, 10)

	// Unknown origin, inactive origin.
	other := testLog(t, "other.example/log", 3)
	inactive := testLog(t, "inactive.example/log", 3)
	if err := e.State.PutWitnessedLog(ctx, &omadata.WitnessedLog{Origin: inactive.Origin, VerifierKeys: []string{inactive.VerifierKey}, Active: false}); err != nil {
		t.Fatal(err)
	}
	// The right origin signed with another key.
	impostor := testLog(t, "city.example/log", 15)
	// Signature lines beyond the 16th are not considered.
	cp, _ := l.LatestCheckpoint(ctx)
	text, sig, _ := strings.Cut(cp.Note, "\n\n")
	var strangers string
	for i := range 16 {
		s := testLog(t, "city.example/log", 0)
		sn, _ := s.Sign(text + "\n")
		_, line, _ := strings.Cut(string(sn), "\n\n")
		strangers += line
		_ = i
	}
	late := &witness.Request{OldSize: 10, Proof: good.Proof, Checkpoint: []byte(text + "\n\n" + strangers + sig)}
	// A proof with one hash changed.
	bad := &witness.Request{OldSize: 10, Proof: append(tlog.TreeProof(nil), good.Proof...), Checkpoint: good.Checkpoint}
	bad.Proof[0][0] ^= 1

	for _, c := range []struct {
		name   string
		method string
		body   []byte
		status int
		ctype  string
		text   string
	}{
		{"GET", "GET", nil, 405, "text/plain; charset=utf-8", "POST"},
		{"malformed", "POST", []byte("old 1\n"), 400, "text/plain; charset=utf-8", "proof"},
		{"old above size", "POST", []byte("old 16\n\n" + string(good.Checkpoint)), 400, "text/plain; charset=utf-8", "greater"},
		{"too large", "POST", append([]byte("old 0\n\n"), bytes.Repeat([]byte("x"), witness.MaxRequestSize)...), 400, "text/plain; charset=utf-8", "larger"},
		{"unknown origin", "POST", requestBody(t, other, 0), 404, "text/plain; charset=utf-8", "other.example/log"},
		{"inactive origin", "POST", requestBody(t, inactive, 0), 404, "text/plain; charset=utf-8", "inactive.example/log"},
		{"untrusted key", "POST", requestBody(t, impostor, 10), 403, "text/plain; charset=utf-8", "no signature verifies"},
		{"trusted signature after 16 others", "POST", late.Marshal(), 403, "text/plain; charset=utf-8", "no signature verifies"},
		{"stale old", "POST", requestBody(t, l, 5), 409, "text/x.tlog.size", "10\n"},
		{"bad proof", "POST", bad.Marshal(), 422, "text/plain; charset=utf-8", "consistency proof"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest(c.method, e.URL()+"/add-checkpoint", bytes.NewReader(c.body))
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.ctype || !strings.Contains(string(b), c.text) {
				t.Fatalf("got %d %s %q, want %d %s containing %q", resp.StatusCode, resp.Header.Get("Content-Type"), b, c.status, c.ctype, c.text)
			}
			if c.status != 409 && strings.Count(string(b), "\n") != 1 {
				t.Fatalf("reason %q is not one line", b)
			}
			if c.status == 405 && resp.Header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", resp.Header.Get("Allow"))
			}
		})
	}
	// Nothing moved, nothing frozen: without FetchProof a bad proof is
	// not a fork (anyone can send a public checkpoint with a wrong proof).
	if h := e.held(t); h.Size != 10 || h.Forked {
		t.Fatalf("state after refusals: %+v", h)
	}
	if len(e.Forks) != 0 || !strings.Contains(e.LogOut.String(), "consistency proof failed") {
		t.Fatalf("forks %v; log:\n%s", e.Forks, e.LogOut.String())
	}
	// The good request still passes.
	if status, _, body := e.post(t, good.Marshal()); status != 200 {
		t.Fatalf("good request after refusals: %d %q", status, body)
	}
	if got, want := len(e.Statuses), 12; got != want {
		t.Fatalf("OnAnswer called %d times, want %d", got, want)
	}
}

// forkEnv is a witness that holds size 10 of l, and a fork of l: the same
// key, other leaves.
func forkEnv(t *testing.T) (*witnessEnv, *witnesstest.Log, *witnesstest.Log) {
	t.Helper()
	l := testLog(t, "city.example/log", 10)
	forked, err := witnesstest.NewLogWithKey(l.Origin, l.Key)
	if err != nil {
		t.Fatal(err)
	}
	e := newWitnessEnv(t, "espoo.example/witness", l)
	if status, _, body := e.post(t, requestBody(t, l, 0)); status != 200 {
		t.Fatalf("first contact: %d %q", status, body)
	}
	return e, l, forked
}

func expectFork(t *testing.T, e *witnessEnv, known, conflicting string) *omadata.WitnessFork {
	t.Helper()
	fs, _ := e.State.FindWitnessForks(context.Background())
	if len(fs) != 1 || len(e.Forks) != 1 {
		t.Fatalf("got %d forks stored, %d reported, want 1", len(fs), len(e.Forks))
	}
	f := fs[0]
	if f.Origin != e.Log.Origin || f.Seen != omadata.ForkSeenAddCheckpoint || f.Known != known || f.Conflicting != conflicting || f.ID == "" || f.DetectedAt.IsZero() {
		t.Fatalf("fork %+v", f)
	}
	if !e.held(t).Forked {
		t.Fatal("origin not frozen")
	}
	if out := e.LogOut.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "witness: fork") || !strings.Contains(out, "known_root=") || !strings.Contains(out, "conflicting_size=") {
		t.Fatalf("no ERROR line with both checkpoints:\n%s", out)
	}
	return f
}

// expectFrozen checks that every request is now refused with 403.
func expectFrozen(t *testing.T, e *witnessEnv, l *witnesstest.Log) {
	t.Helper()
	held := e.held(t).Size
	for _, old := range []int64{0, held} {
		status, _, body := e.post(t, requestBody(t, l, old))
		if status != 403 || !strings.Contains(body, "forked") {
			t.Fatalf("frozen origin, old %d: got %d %q, want 403 forked", old, status, body)
		}
	}
}

func TestHandlerForkSameSize(t *testing.T) {
	ctx := context.Background()
	e, l, forked := forkEnv(t)
	known := e.held(t).Checkpoint
	if _, err := forked.Grow(ctx, 10, "forked"); err != nil {
		t.Fatal(err)
	}
	fcp, _ := forked.LatestCheckpoint(ctx)
	// The same size, another root: 409 with the size held, whatever old.
	for i, old := range []int64{10, 0} {
		status, ctype, body := e.post(t, requestBody(t, forked, old))
		if i == 0 && (status != 409 || ctype != "text/x.tlog.size" || body != "10\n") {
			t.Fatalf("same size, another root: got %d %s %q, want 409 \"10\\n\"", status, ctype, body)
		}
		if i == 1 && status != 403 {
			t.Fatalf("after the fork: got %d %q, want 403", status, body)
		}
	}
	expectFork(t, e, known, fcp.Note)
	if h := e.held(t); h.Size != 10 || h.Checkpoint != known {
		t.Fatalf("the state moved: %+v", h)
	}
	// The honest log's next checkpoint is refused too until resolved.
	if _, err := l.Grow(ctx, 1, "next"); err != nil {
		t.Fatal(err)
	}
	expectFrozen(t, e, l)
}

func TestHandlerForkProof(t *testing.T) {
	ctx := context.Background()
	e, l, forked := forkEnv(t)
	known := e.held(t).Checkpoint
	if _, err := forked.Grow(ctx, 12, "forked"); err != nil {
		t.Fatal(err)
	}
	// The forked log asked for its proof: it has none that verifies.
	e.Handler.FetchProof = func(ctx context.Context, origin string, old, new int64) (tlog.TreeProof, error) {
		if origin != l.Origin {
			t.Errorf("FetchProof for %q", origin)
		}
		return forked.TreeProof(ctx, old, new)
	}
	// The forked log's own proof from 10 to 12: 422, a fork.
	freq := request(t, forked, 10)
	status, _, body := e.post(t, freq.Marshal())
	if status != 422 {
		t.Fatalf("inconsistent checkpoint: got %d %q, want 422", status, body)
	}
	f := expectFork(t, e, known, string(freq.Checkpoint))
	if len(f.Proof) != len(freq.Proof) {
		t.Fatalf("evidence proof %v, want the %d hashes sent", f.Proof, len(freq.Proof))
	}
	expectFrozen(t, e, forked)
}

// TestHandlerWrongProofHonestLog: a wrong proof for the honest log's
// checkpoint, when the log's own proof verifies, is refused and is no fork.
func TestHandlerWrongProofHonestLog(t *testing.T) {
	ctx := context.Background()
	e, l, _ := forkEnv(t)
	if _, err := l.Grow(ctx, 6, "more"); err != nil {
		t.Fatal(err)
	}
	asked := 0
	e.Handler.FetchProof = func(ctx context.Context, origin string, old, new int64) (tlog.TreeProof, error) {
		asked++
		return l.TreeProof(ctx, old, new)
	}
	req := request(t, l, 10)
	req.Proof[len(req.Proof)-1][31] ^= 0x80
	if status, _, body := e.post(t, req.Marshal()); status != 422 {
		t.Fatalf("wrong proof: got %d %q, want 422", status, body)
	}
	if h := e.held(t); asked != 1 || h.Forked || len(e.Forks) != 0 {
		t.Fatalf("asked %d, state %+v, forks %v", asked, h, e.Forks)
	}
	if status, _, body := e.post(t, requestBody(t, l, 10)); status != 200 {
		t.Fatalf("right proof: %d %q", status, body)
	}
}

// raceState wraps a state so that another instance advances it between
// the handler's read and its compare-and-swap.
type raceState struct {
	*witnesstest.Mem
	before func()
}

func (r *raceState) AdvanceWitness(ctx context.Context, a omadata.WitnessAdvance) error {
	if r.before != nil {
		f := r.before
		r.before = nil
		f()
	}
	return r.Mem.AdvanceWitness(ctx, a)
}

// TestHandlerCompareAndSwap: when another instance moved the state
// between the check and the write, the answer is 409 with the size it
// holds now, and nothing is overwritten.
func TestHandlerCompareAndSwap(t *testing.T) {
	ctx := context.Background()
	e, l, _ := forkEnv(t)
	if _, err := l.Grow(ctx, 5, "a"); err != nil {
		t.Fatal(err)
	}
	first := request(t, l, 10)
	if _, err := l.Grow(ctx, 5, "b"); err != nil {
		t.Fatal(err)
	}
	second := request(t, l, 10)
	other := &witness.Handler{State: e.State, Cosigner: e.Cosigner}
	rs := &raceState{Mem: e.State, before: func() {
		if _, err := other.AddCheckpoint(ctx, second); err != nil {
			t.Errorf("the other instance: %v", err)
		}
	}}
	h := &witness.Handler{State: rs, Cosigner: e.Cosigner}
	_, err := h.AddCheckpoint(ctx, first)
	var he *witness.HTTPError
	if !errorsAs(err, &he) || he.Status != 409 || he.Size != 20 {
		t.Fatalf("got %v, want 409 with size 20", err)
	}
	if held := e.held(t); held.Size != 20 {
		t.Fatalf("held %d, want 20", held.Size)
	}
}

// TestHandlerForkInRace: two checkpoints of one size with different
// roots, both consistent with the state held, arrive at once: one is
// cosigned, and the other, which loses the compare-and-swap, is caught as
// the fork it is (recorded, reported, the origin frozen), not answered as
// a mere stale request.
func TestHandlerForkInRace(t *testing.T) {
	ctx := context.Background()
	e, l, forked := forkEnv(t)
	// The forked log shares the first 10 leaves, then parts.
	if _, err := forked.Grow(ctx, 10, "leaf"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Grow(ctx, 5, "honest"); err != nil {
		t.Fatal(err)
	}
	if _, err := forked.Grow(ctx, 5, "forked"); err != nil {
		t.Fatal(err)
	}
	honest, fork := request(t, l, 10), request(t, forked, 10)
	other := &witness.Handler{State: e.State, Cosigner: e.Cosigner}
	rs := &raceState{Mem: e.State, before: func() {
		if _, err := other.AddCheckpoint(ctx, honest); err != nil {
			t.Errorf("the other instance: %v", err)
		}
	}}
	h := &witness.Handler{State: rs, Cosigner: e.Cosigner, Logger: e.Handler.Logger, OnFork: func(f *omadata.WitnessFork) { e.Forks = append(e.Forks, f) }}
	_, err := h.AddCheckpoint(ctx, fork)
	var he *witness.HTTPError
	if !errorsAs(err, &he) || he.Status != 409 || he.Size != 15 {
		t.Fatalf("got %v, want 409 with size 15", err)
	}
	held := e.held(t)
	expectFork(t, e, held.Checkpoint, string(fork.Checkpoint))
}

// failingState fails every write, as a database that went away.
type failingState struct{ *witnesstest.Mem }

func (failingState) AdvanceWitness(ctx context.Context, a omadata.WitnessAdvance) error {
	return errors.New("database is gone")
}

// TestHandlerPersistsBeforeAnswering: when the state cannot be stored,
// the answer is a 500 with no cosignature in it.
func TestHandlerPersistsBeforeAnswering(t *testing.T) {
	l := testLog(t, "city.example/log", 3)
	e := newWitnessEnv(t, "espoo.example/witness", l)
	e.Handler.State = failingState{e.State}
	status, _, body := e.post(t, requestBody(t, l, 0))
	if status != 500 || strings.Contains(body, "—") {
		t.Fatalf("got %d %q, want 500 without a cosignature", status, body)
	}
	if !strings.Contains(e.LogOut.String(), "database is gone") {
		t.Fatalf("the cause is not logged:\n%s", e.LogOut.String())
	}
	if strings.Contains(body, "database") {
		t.Fatalf("the cause is shown to the caller: %q", body)
	}
}
