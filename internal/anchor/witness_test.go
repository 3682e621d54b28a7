// SPDX-License-Identifier: Apache-2.0

package anchor_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/anchor"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/witness"
)

// memLog is a log in memory: its leaves' stored hashes, for roots and
// consistency proofs (RFC 6962 via tlog), and a note signer.
type memLog struct {
	origin string
	signer note.Signer
	vkey   string
	hashes []tlog.Hash
	n      int64
}

func newMemLog(t *testing.T, origin string) *memLog {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &memLog{origin: origin, signer: s, vkey: vkey}
}

func (l *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = l.hashes[x]
	}
	return out, nil
}

// add appends n leaves named by prefix.
func (l *memLog) add(t *testing.T, prefix string, n int) {
	for i := 0; i < n; i++ {
		hs, err := tlog.StoredHashes(l.n, []byte(fmt.Sprintf("%s %d", prefix, l.n)), l)
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
		l.n++
	}
}

// checkpoint signs the checkpoint of the log's size with signer.
func (l *memLog) checkpoint(t *testing.T, signer note.Signer) (string, []byte) {
	root, err := tlog.TreeHash(l.n, l)
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", l.origin, l.n, root)
	signed, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return text, signed
}

func (l *memLog) proof(t *testing.T, old int64) tlog.TreeProof {
	if old == 0 {
		return nil
	}
	p, err := tlog.ProveTree(l.n, old, l)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// post sends an add-checkpoint request and returns the status and body.
func post(t *testing.T, url string, req *witness.Request) (int, string, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", bytes.NewReader(req.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestWitness runs the anchor as a witness of a member's log
// (docs/witnessing.md §2, §4) over HTTP: the witness key and endpoint in
// its entity configuration, cosignatures that verify with that key, the
// refusals of tlog-witness, a fork refused, kept and frozen until
// resolved (audited), and a suspended member no longer witnessed.
func TestWitness(t *testing.T) {
	for name, open := range openDBs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			key, err := federation.NewKey()
			if err != nil {
				t.Fatal(err)
			}
			_, wk, _ := ed25519.GenerateKey(rand.Reader)
			a := &anchor.Anchor{Name: "Test", Rulebook: 1, DB: open(t), Keys: []federation.Key{key}, Sign: testSign}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.Handler().ServeHTTP(w, r) }))
			defer srv.Close()
			a.ID = srv.URL
			if a.Witness, err = witness.NewCosigner(a.WitnessName(), wk); err != nil {
				t.Fatal(err)
			}
			pub := key.Private.Public().(ed25519.PublicKey)
			h := newMember(t, a.ID, pub)
			lg := newMemLog(t, omadata.LogOrigin(h.srv.URL))
			h.Config.Metadata.LogOrigin, h.Config.Metadata.LogVerifierKey = lg.origin, lg.vkey
			if _, err := a.Admit(ctx, h.srv.URL, "signed the agreement", "registrar"); err != nil {
				t.Fatal(err)
			}

			// The witness key and endpoint come from the anchor's
			// configuration, verified with the anchor's key; its GET
			// endpoints are readable from any page.
			resp, err := http.Get(a.ID + federation.WellKnownPath)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("entity configuration: Access-Control-Allow-Origin %q", got)
			}
			st, err := federation.Verify(string(raw), federation.KeySet(key), a.ID, a.ID, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var md struct {
				Endpoint string `json:"witness_endpoint"`
				Key      string `json:"witness_verifier_key"`
			}
			if err := json.Unmarshal(st.Metadata[anchor.MetadataWitness], &md); err != nil || md.Endpoint != a.ID+"/witness/v1" || !strings.HasPrefix(md.Key, strings.TrimPrefix(a.ID, "http://")+"/witness+") {
				t.Fatalf("omadata_witness metadata %s: %+v, %v", st.Metadata[anchor.MetadataWitness], md, err)
			}
			cv, err := witness.NewCosignatureVerifier(md.Key)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{anchor.ListPath, anchor.FetchPath + "?sub=" + h.srv.URL, anchor.TrustMarkPath + "?sub=x"} {
				resp, err := http.Get(a.ID + p)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("GET %s: Access-Control-Allow-Origin %q", p, got)
				}
			}
			add := md.Endpoint + "/add-checkpoint"
			cosigned := func(text string, body string) {
				t.Helper()
				n, err := note.Open([]byte(text+"\n"+body), note.VerifierList(cv))
				if err != nil || len(n.Sigs) != 1 {
					t.Fatalf("the cosignature %q does not verify with the anchor's witness key: %v", body, err)
				}
			}

			// First contact, then a consistent extension.
			lg.add(t, "leaf", 3)
			text3, cp3 := lg.checkpoint(t, lg.signer)
			if code, _, body := post(t, add, &witness.Request{OldSize: 0, Checkpoint: cp3}); code != 200 {
				t.Fatalf("first checkpoint: %d %s", code, body)
			} else {
				cosigned(text3, body)
			}
			first := &witness.Request{OldSize: 0, Checkpoint: cp3}
			lg.add(t, "leaf", 4)
			text7, cp7 := lg.checkpoint(t, lg.signer)
			if code, _, body := post(t, add, &witness.Request{OldSize: 3, Proof: lg.proof(t, 3), Checkpoint: cp7}); code != 200 {
				t.Fatalf("extension: %d %s", code, body)
			} else {
				cosigned(text7, body)
			}
			if l, err := a.WitnessedLog(ctx, lg.origin); err != nil || l.Size != 7 || l.Checkpoint != string(cp7) || !l.Active || l.Forked {
				t.Fatalf("state after 7: %+v, %v", l, err)
			}

			// Stale, replayed, wrongly signed, unknown origin.
			if code, ct, body := post(t, add, &witness.Request{OldSize: 3, Proof: lg.proof(t, 3), Checkpoint: cp7}); code != 409 || ct != "text/x.tlog.size" || body != "7\n" {
				t.Errorf("stale old size: %d %s %q, want 409 text/x.tlog.size 7", code, ct, body)
			}
			if code, _, body := post(t, add, first); code != 409 || body != "7\n" {
				t.Errorf("replayed first request: %d %q, want 409 7", code, body)
			}
			other := newMemLog(t, lg.origin)
			other.add(t, "leaf", 8)
			_, wrong := other.checkpoint(t, other.signer)
			if code, _, body := post(t, add, &witness.Request{OldSize: 7, Proof: other.proof(t, 7), Checkpoint: wrong}); code != 403 {
				t.Errorf("signed with another key: %d %s, want 403", code, body)
			}
			stranger := newMemLog(t, "stranger.example/log")
			stranger.add(t, "x", 1)
			_, sc := stranger.checkpoint(t, stranger.signer)
			if code, _, body := post(t, add, &witness.Request{Checkpoint: sc}); code != 404 {
				t.Errorf("unknown origin: %d %s, want 404", code, body)
			}

			// A proof that does not verify, which the member's log cannot
			// be asked to confirm (this one serves no log API): 422, not a
			// fork (anyone can send a public checkpoint with a bad proof).
			bogus := newMemLog(t, lg.origin)
			bogus.add(t, "bogus", 9)
			_, bp := bogus.checkpoint(t, lg.signer)
			if code, _, body := post(t, add, &witness.Request{OldSize: 7, Proof: bogus.proof(t, 7)[:1], Checkpoint: bp}); code != 422 {
				t.Errorf("a bad proof: %d %s, want 422", code, body)
			}
			if forks, err := a.WitnessForks(ctx); err != nil || len(forks) != 0 {
				t.Fatalf("forks after a bad proof the log did not confirm: %+v, %v", forks, err)
			}

			// A fork: size 7 with another root, signed with the log's key.
			fork := newMemLog(t, lg.origin)
			fork.add(t, "forged", 7)
			_, forged := fork.checkpoint(t, lg.signer)
			if code, ct, body := post(t, add, &witness.Request{OldSize: 7, Checkpoint: forged}); code != 409 || ct != "text/x.tlog.size" || body != "7\n" {
				t.Errorf("fork: %d %s %q, want 409 7", code, ct, body)
			}
			forks, err := a.WitnessForks(ctx)
			if err != nil || len(forks) != 1 || forks[0].Known != string(cp7) || forks[0].Conflicting != string(forged) || forks[0].Origin != lg.origin || forks[0].ResolvedAt != nil {
				t.Fatalf("fork evidence: %+v, %v", forks, err)
			}
			lg.add(t, "leaf", 1)
			_, cp8 := lg.checkpoint(t, lg.signer)
			honest := &witness.Request{OldSize: 7, Proof: lg.proof(t, 7), Checkpoint: cp8}
			if code, _, body := post(t, add, honest); code != 403 || !strings.Contains(body, "frozen") {
				t.Errorf("honest checkpoint after a fork: %d %q, want 403 frozen", code, body)
			}
			for _, bad := range []struct{ id, keep, reason, by, field string }{
				{forks[0].ID, "newest", "x", "y", "keep"},
				{forks[0].ID, "old", " ", "y", "reason"},
				{forks[0].ID, "old", "x", "", "by"},
				// Not larger than the checkpoint held (7): the state
				// never moves back to, or sideways at, a size cosigned.
				{forks[0].ID, "new", "Keep the other root", "registrar", "keep"},
			} {
				if _, err := a.ResolveWitnessFork(ctx, bad.id, bad.keep, bad.reason, bad.by); omadata.ErrorField(err) != bad.field {
					t.Errorf("ResolveWitnessFork(%+v) = %v, want refused naming %s", bad, err, bad.field)
				}
			}
			if _, err := a.ResolveWitnessFork(ctx, "wfk_none", "old", "x", "y"); omadata.ErrorCode(err) != omadata.ENOTFOUND {
				t.Errorf("resolve an unknown fork: %v", err)
			}
			if _, err := a.ResolveWitnessFork(ctx, forks[0].ID, "old", "Helsinki rotated its log key", "registrar"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.ResolveWitnessFork(ctx, forks[0].ID, "old", "again", "registrar"); omadata.ErrorCode(err) != omadata.ECONFLICT {
				t.Errorf("resolve twice: %v", err)
			}
			if code, _, body := post(t, add, honest); code != 200 {
				t.Errorf("honest checkpoint after the resolution: %d %s", code, body)
			}
			entries, err := a.Audit(ctx, h.srv.URL)
			if err != nil || len(entries) != 2 || entries[1].Action != "resolve_fork" || entries[1].Actor != "registrar" || !strings.Contains(entries[1].Detail, forks[0].ID+" keep old") {
				t.Errorf("audit of the resolution: %+v, %v", entries, err)
			}
			if forks, _ := a.WitnessForks(ctx); len(forks) != 1 || forks[0].Conflicting != string(forged) || forks[0].Resolution != "old" {
				t.Errorf("evidence after the resolution: %+v", forks)
			}

			// A suspended member's log is not witnessed; its state stays.
			if _, err := a.Suspend(ctx, h.srv.URL, "unpaid fee", "registrar"); err != nil {
				t.Fatal(err)
			}
			lg.add(t, "leaf", 1)
			_, cp9 := lg.checkpoint(t, lg.signer)
			if code, _, body := post(t, add, &witness.Request{OldSize: 8, Proof: lg.proof(t, 8), Checkpoint: cp9}); code != 404 {
				t.Errorf("suspended member: %d %s, want 404", code, body)
			}
			if l, err := a.WitnessedLog(ctx, lg.origin); err != nil || l.Active || l.Size != 8 {
				t.Errorf("suspended member's state: %+v, %v", l, err)
			}
		})
	}
}

// TestWitnessState checks the anchor's compare-and-swap
// (docs/witnessing.md §2): a stale old state is a conflict naming the size
// held, an unknown origin ENOTFOUND, a frozen one EFORBIDDEN, and of many
// concurrent advances from one state exactly one wins.
func TestWitnessState(t *testing.T) {
	for name, open := range openDBs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			key, _ := federation.NewKey()
			a := &anchor.Anchor{Name: "Test", Rulebook: 1, DB: open(t), Keys: []federation.Key{key}}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.Handler().ServeHTTP(w, r) }))
			defer srv.Close()
			a.ID = srv.URL
			h := newMember(t, a.ID, key.Private.Public().(ed25519.PublicKey))
			lg := newMemLog(t, omadata.LogOrigin(h.srv.URL))
			h.Config.Metadata.LogOrigin, h.Config.Metadata.LogVerifierKey = lg.origin, lg.vkey
			if _, err := a.Admit(ctx, h.srv.URL, "joins", "registrar"); err != nil {
				t.Fatal(err)
			}
			if err := a.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: "nowhere.example/log", Size: 1, RootHash: "x", Checkpoint: "x"}); omadata.ErrorCode(err) != omadata.ENOTFOUND {
				t.Errorf("unknown origin: %v", err)
			}
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					errs[i] = a.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: lg.origin, Size: 5, RootHash: fmt.Sprintf("root%d", i), Checkpoint: fmt.Sprintf("cp%d", i)})
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				var c *omadata.WitnessConflict
				if err == nil {
					won++
				} else if !errors.As(err, &c) || c.Size != 5 {
					t.Errorf("a concurrent advance: %v, want a conflict at 5", err)
				}
			}
			l, err := a.WitnessedLog(ctx, lg.origin)
			if won != 1 || err != nil || l.Size != 5 || l.Checkpoint != "cp"+strings.TrimPrefix(l.RootHash, "root") {
				t.Fatalf("%d of %d advances won; state %+v, %v", won, n, l, err)
			}
			if err := a.RecordWitnessFork(ctx, &omadata.WitnessFork{Origin: lg.origin, Known: l.Checkpoint, Conflicting: "other"}); err != nil {
				t.Fatal(err)
			}
			if err := a.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: lg.origin, OldSize: 5, OldRoot: l.RootHash, Size: 6, RootHash: "r6", Checkpoint: "cp6"}); omadata.ErrorCode(err) != omadata.EFORBIDDEN {
				t.Errorf("advance of a frozen origin: %v", err)
			}
			// A member's log, its key rotated, is taken at the next refresh.
			lg2 := newMemLog(t, lg.origin)
			h.Config.Metadata.LogVerifierKey = lg2.vkey
			if err := a.Refresh(ctx, "anchor"); err != nil {
				t.Fatal(err)
			}
			if l, err := a.WitnessedLog(ctx, lg.origin); err != nil || len(l.VerifierKeys) != 1 || l.VerifierKeys[0] != lg2.vkey || l.Size != 5 {
				t.Errorf("after a refresh with a new log key: %+v, %v", l, err)
			}
			// A second member cannot take over the first one's origin.
			e := newMember(t, a.ID, key.Private.Public().(ed25519.PublicKey))
			e.Config.Metadata.LogOrigin, e.Config.Metadata.LogVerifierKey = lg.origin, lg.vkey
			if _, err := a.Admit(ctx, e.srv.URL, "joins", "registrar"); omadata.ErrorField(err) != "log_origin" {
				t.Errorf("admit a member claiming another's log origin: %v", err)
			}
			// Names are bound to entity IDs (docs/witnessing.md §1): nor
			// does a member pass its witness off as the anchor's, at
			// admission or at a refresh, whose refusal changes nothing.
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			c, err := witness.NewCosigner(a.WitnessName(), priv)
			if err != nil {
				t.Fatal(err)
			}
			e.Config.Metadata.LogOrigin, e.Config.Metadata.LogVerifierKey = "", ""
			e.Config.Metadata.WitnessEndpoint, e.Config.Metadata.WitnessVerifierKey = e.srv.URL+"/witness/v1", c.VerifierKey()
			if _, err := a.Admit(ctx, e.srv.URL, "joins", "registrar"); omadata.ErrorField(err) != "witness_verifier_key" {
				t.Errorf("admit a member whose witness key is named as the anchor's: %v", err)
			}
			other := newMemLog(t, omadata.LogOrigin(e.srv.URL))
			h.Config.Metadata.LogOrigin, h.Config.Metadata.LogVerifierKey = other.origin, other.vkey
			if err := a.Refresh(ctx, "anchor"); omadata.ErrorField(err) != "log_origin" {
				t.Errorf("a refresh claiming another's log origin: %v, want refused naming log_origin", err)
			}
			if l, err := a.WitnessedLog(ctx, lg.origin); err != nil || l.OperatorID != h.srv.URL || l.VerifierKeys[0] != lg2.vkey {
				t.Errorf("after a refused refresh: %+v, %v", l, err)
			}
			if _, err := a.WitnessedLog(ctx, other.origin); omadata.ErrorCode(err) != omadata.ENOTFOUND {
				t.Errorf("the claimed origin is witnessed: %v", err)
			}
		})
	}
}

// TestWitnessKeyFile: the anchor's witness key file is made 0600 on first
// use, read back the same, and refused when others can read it.
func TestWitnessKeyFile(t *testing.T) {
	path := anchor.WitnessKeyPath(filepath.Join(t.TempDir(), "anchor.db.key"))
	k1, err := anchor.LoadWitnessKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v, %v", fi, err)
	}
	k2, err := anchor.LoadWitnessKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reloaded another key: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := anchor.LoadWitnessKey(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("a key file others can read: %v", err)
	}
}
