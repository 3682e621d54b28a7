// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// witnessState gives the env's operator, as a witness, a log an admin
// added with a checkpoint of size 3 cosigned, a fork of that log (a
// checkpoint of size 3 with another root, signed with its key), and the
// collector's progress with a witness of its own log; it returns the
// fork's ID.
func (e *env) witnessState(t *testing.T) string {
	t.Helper()
	ctx := adminCtx()
	l, err := witnesstest.NewLog("tilastot.example/log")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.Grow(ctx, 3, "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutWitnessedLog(ctx, &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey},
		Source: omadata.WitnessLogAdmin, Label: "Test log", Active: true, Reason: "a test"}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, Size: cp.Size, RootHash: cp.RootHash, Checkpoint: cp.Note}); err != nil {
		t.Fatal(err)
	}
	fork, err := witnesstest.NewLogWithKey(l.Origin, l.Key)
	if err != nil {
		t.Fatal(err)
	}
	other, err := fork.Grow(ctx, 3, "z")
	if err != nil {
		t.Fatal(err)
	}
	// The witness records it as it refuses it (docs/witnessing.md §4).
	h := &witness.Handler{State: e.store, Cosigner: testCosigner(t), Logger: slog.New(slog.DiscardHandler)}
	if _, err := h.AddCheckpoint(ctx, &witness.Request{OldSize: 3, Checkpoint: []byte(other.Note)}); err == nil {
		t.Fatal("the witness cosigned a fork")
	}
	forks, err := e.store.FindWitnessForks(ctx)
	if err != nil || len(forks) != 1 {
		t.Fatalf("forks: %v, %v", forks, err)
	}
	at := e.store.DB().Now()
	if err := e.store.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "espoo.example/witness", Size: 42, CosignedAt: &at, TriedAt: &at}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "turku.example/witness", LastError: "connection refused", TriedAt: &at}); err != nil {
		t.Fatal(err)
	}
	return forks[0].ID
}

func testCosigner(t *testing.T) *witness.Cosigner {
	t.Helper()
	c, err := witness.NewCosigner("omadata.example/witness", make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestWitnessPage: /admin/{lang}/witness shows the logs the operator
// witnesses, the collector's progress and the forks with both
// checkpoints; the operator resolves a fork with a reason, a form without
// one is shown again with its error; an auditor reads it all but gets no
// form.
func TestWitnessPage(t *testing.T) {
	e := newEnv(t, time.Time{})
	id := e.witnessState(t)
	c := e.client(t)
	c.login("/admin/en/login", "olli")
	p := c.get("/admin/en/witness")
	if p.status != 200 {
		t.Fatalf("witness page: %d", p.status)
	}
	for _, want := range []string{"tilastot.example/log", "Test log", "added by an admin", "frozen by a fork", "espoo.example/witness", "connection refused",
		"The checkpoint cosigned before", "The conflicting checkpoint", "/admin/en/witness/forks/" + id + "/resolve", "— tilastot.example/log "} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	tok := p.csrf(t)
	path := "/admin/en/witness/forks/" + id + "/resolve"
	bad := c.post(path, url.Values{"csrf": {tok}, "keep": {"old"}})
	if bad.status != 400 || !strings.Contains(bad.body, `id="reason-`+id+`-error"`) || !strings.Contains(bad.body, `<input type="radio" id="keep-`+id+`-old" name="keep" value="old" checked>`) {
		t.Fatalf("no reason: %d, want 400 with the form kept and its error\n%s", bad.status, bad.body)
	}
	if bad := c.post(path, url.Values{"csrf": {tok}, "keep": {"both"}, "reason": {"x"}}); bad.status != 400 || !strings.Contains(bad.body, `id="keep-`+id+`-error"`) {
		t.Fatalf("keep both: %d, want 400", bad.status)
	}
	if fs, _ := e.store.FindWitnessForks(adminCtx()); fs[0].ResolvedAt != nil {
		t.Fatal("a refused form resolved the fork")
	}

	// The auditor reads, without a form.
	a := e.client(t)
	a.login("/admin/en/login", "tiina")
	if p := a.get("/admin/en/witness"); p.status != 200 || strings.Contains(p.body, "/resolve") || !strings.Contains(p.body, "tilastot.example/log") {
		t.Fatalf("auditor's page: %d", p.status)
	}
	if p := a.post(path, url.Values{"csrf": {a.get("/admin/en/").csrf(t)}, "keep": {"old"}, "reason": {"x"}}); p.status != 403 {
		t.Fatalf("auditor resolving: %d, want 403", p.status)
	}

	ok := c.post(path, url.Values{"csrf": {tok}, "keep": {"old"}, "reason": {"The log's operator explained the fault."}})
	if !strings.Contains(ok.url, "done=fork-resolved") || !strings.Contains(ok.body, "The log&#39;s operator explained the fault.") || strings.Contains(ok.body, path) {
		t.Fatalf("resolve: %d at %s", ok.status, ok.url)
	}
	l, err := e.store.WitnessedLog(context.Background(), "tilastot.example/log")
	if err != nil || l.Forked {
		t.Errorf("after the resolution: %+v, %v; want the log unfrozen", l, err)
	}
}
