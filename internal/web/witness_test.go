// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// witnessPath is the witness's route (web.WitnessPath).
const witnessPath = web.WitnessPath

// witnessedLog is a log the env's operator witnesses: a real in-memory
// log with its own key, added by an admin through the API.
func (e *env) witnessedLog(t *testing.T, origin string) *witnesstest.Log {
	t.Helper()
	l, err := witnesstest.NewLog(origin)
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "POST", "/api/v1/admin/witness/logs", e.admin, map[string]any{
		"origin": origin, "verifier_keys": []string{l.VerifierKey}, "label": "Test log", "reason": "a test"})
	wantStatus(t, r, 201)
	return l
}

// addCheckpoint asks the env's witness to cosign cp from old.
func (e *env) addCheckpoint(t *testing.T, l *witnesstest.Log, old int64, cp *omadata.Checkpoint) response {
	t.Helper()
	proof, err := l.TreeProof(context.Background(), old, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	req := &witness.Request{OldSize: old, Proof: proof, Checkpoint: []byte(cp.Note)}
	return e.call(t, "POST", witnessPath, "", "", strings.NewReader(string(req.Marshal())))
}

// TestWitnessRoute: POST /witness/v1/add-checkpoint is the operator's
// witness (docs/witnessing.md §2): a log an admin added is cosigned from
// size 0 and then forward, the cosignature verifies with the witness's key,
// the admin sees the size cosigned; a removed log answers 404.
func TestWitnessRoute(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	l := e.witnessedLog(t, "log.example.org/test")
	v, err := witness.NewCosignatureVerifier(e.cosigner.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	cosigned := func(t *testing.T, r response, cp *omadata.Checkpoint) {
		t.Helper()
		wantStatus(t, r, 200)
		if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type %q, want text/plain; charset=utf-8", ct)
		}
		if _, err := note.Open([]byte(cp.Note+string(r.body)), note.VerifierList(v)); err != nil {
			t.Errorf("the cosignature %q does not verify with the witness's key: %v", r.body, err)
		}
	}
	cp3, err := l.Grow(ctx, 3, "a")
	if err != nil {
		t.Fatal(err)
	}
	cosigned(t, e.addCheckpoint(t, l, 0, cp3), cp3)
	cp5, err := l.Grow(ctx, 2, "b")
	if err != nil {
		t.Fatal(err)
	}
	cosigned(t, e.addCheckpoint(t, l, 3, cp5), cp5)
	// A stale old size: 409 with the size held (tlog-witness).
	r := e.addCheckpoint(t, l, 3, cp5)
	if r.status != 409 || r.header.Get("Content-Type") != "text/x.tlog.size" || string(r.body) != "5\n" {
		t.Errorf("stale: got %d %q %q, want 409 text/x.tlog.size \"5\\n\"", r.status, r.header.Get("Content-Type"), r.body)
	}

	var logs struct{ Items []omadata.WitnessedLog }
	e.do(t, "GET", "/api/v1/admin/witness/logs", e.admin, nil).decode(t, &logs)
	if len(logs.Items) != 1 || logs.Items[0].Origin != l.Origin || logs.Items[0].Size != 5 || !logs.Items[0].Active {
		t.Fatalf("witnessed logs = %+v, want %s at size 5", logs.Items, l.Origin)
	}

	// Removed: not witnessed any more, its state kept.
	r = e.do(t, "DELETE", "/api/v1/admin/witness/logs?"+url.Values{"origin": {l.Origin}, "reason": {"the test ends"}}.Encode(), e.admin, nil)
	wantStatus(t, r, 200)
	var removed omadata.WitnessedLog
	r.decode(t, &removed)
	if removed.Active || removed.Size != 5 {
		t.Errorf("removed = %+v, want inactive at size 5", removed)
	}
	if r := e.addCheckpoint(t, l, 5, cp5); r.status != 404 {
		t.Errorf("a removed log: got %d %s, want 404", r.status, r.body)
	}
	// Without a reason, or for a log never added, nothing changes.
	before := e.dump(t)
	wantStatus(t, e.do(t, "DELETE", "/api/v1/admin/witness/logs?origin="+url.QueryEscape(l.Origin), e.admin, nil), 400)
	wantStatus(t, e.do(t, "DELETE", "/api/v1/admin/witness/logs?origin=nowhere.example/log&reason=x", e.admin, nil), 404)
	if after := e.dump(t); after != before {
		t.Errorf("refused removals changed the database:\n%s", firstDiff(before, after))
	}
}

// TestWitnessBadInput is the bad-input suite of the witness's route
// (TestBadInput covers the JSON operations): each malformed or refused
// add-checkpoint gets tlog-witness's client error, as one line of plain
// text, and changes nothing.
func TestWitnessBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	l := e.witnessedLog(t, "log.example.org/bad")
	cp, err := l.Grow(ctx, 4, "a")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.addCheckpoint(t, l, 0, cp), 200)
	cp6, err := l.Grow(ctx, 2, "b")
	if err != nil {
		t.Fatal(err)
	}
	proof, err := l.TreeProof(ctx, 4, 6)
	if err != nil {
		t.Fatal(err)
	}
	good := string((&witness.Request{OldSize: 4, Proof: proof, Checkpoint: []byte(cp6.Note)}).Marshal())
	other, err := witnesstest.NewLog(l.Origin) // the origin, another key
	if err != nil {
		t.Fatal(err)
	}
	otherCP, err := other.Grow(ctx, 6, "c")
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := witnesstest.NewLog("unknown.example.org/log")
	if err != nil {
		t.Fatal(err)
	}
	unknownCP, err := unknown.Grow(ctx, 1, "d")
	if err != nil {
		t.Fatal(err)
	}
	before := e.dump(t)
	for _, c := range []struct {
		name   string
		path   string
		body   string
		status int
	}{
		{"Empty", witnessPath, "", 400},
		{"JSON", witnessPath, `{"old": 4}`, 400},
		{"NoCheckpoint", witnessPath, "old 4\n\n", 400},
		{"OldNotANumber", witnessPath, strings.Replace(good, "old 4", "old four", 1), 400},
		{"OldLeadingZero", witnessPath, strings.Replace(good, "old 4", "old 04", 1), 400},
		{"OldNegative", witnessPath, strings.Replace(good, "old 4", "old -4", 1), 400},
		{"OldAboveSize", witnessPath, strings.Replace(good, "old 4", "old 7", 1), 400},
		{"ProofWithOldZero", witnessPath, strings.Replace(good, "old 4", "old 0", 1), 400},
		{"ProofLineNotBase64", witnessPath, strings.Replace(good, "old 4\n", "old 4\nnot a hash\n", 1), 400},
		{"SixtyFourProofLines", witnessPath, strings.Replace(good, "old 4\n", "old 4\n"+strings.Repeat(proof[0].String()+"\n", 64), 1), 400},
		{"InvalidUTF8", witnessPath, strings.Replace(good, cp6.Origin, cp6.Origin+"\xff", 1), 400},
		{"OverLimit", witnessPath, "old 4\n" + strings.Repeat(proof[0].String()+"\n", 2000) + "\n" + cp6.Note, 400},
		{"UnknownOrigin", witnessPath, "old 0\n\n" + unknownCP.Note, 404},
		{"OtherKey", witnessPath, "old 4\n\n" + otherCP.Note, 403},
		{"QueryParameter", witnessPath + "?old=4", good, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(t, "POST", c.path, "", "", strings.NewReader(c.body))
			if r.status != c.status {
				t.Fatalf("got %d %q, want %d", r.status, r.body, c.status)
			}
			if c.name == "QueryParameter" {
				return // the API's refusal of an undeclared parameter, in JSON
			}
			if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q, want text/plain; charset=utf-8", ct)
			}
			if body := string(r.body); body == "" || strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") {
				t.Errorf("body %q, want one line of reason", body)
			}
		})
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused requests changed the database:\n%s", firstDiff(before, after))
	}
	wantStatus(t, e.call(t, "POST", witnessPath, "", "", strings.NewReader(good)), 200)
}

// TestWitnessAdminAPI: a fork shown to the witness is refused and kept
// (docs/witnessing.md §4), the admin lists the evidence, resolves it, and
// the log is cosigned again; bad resolutions change nothing.
func TestWitnessAdminAPI(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	l := e.witnessedLog(t, "log.example.org/fork")
	cp, err := l.Grow(ctx, 3, "a")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.addCheckpoint(t, l, 0, cp), 200)
	fork, err := witnesstest.NewLogWithKey(l.Origin, l.Key) // the same key, other leaves
	if err != nil {
		t.Fatal(err)
	}
	forked, err := fork.Grow(ctx, 3, "z")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.addCheckpoint(t, fork, 3, forked); r.status != 409 {
		t.Fatalf("a fork: got %d %s, want 409", r.status, r.body)
	}
	// Frozen: even the checkpoint it holds is refused.
	if r := e.addCheckpoint(t, l, 3, cp); r.status != 403 {
		t.Fatalf("a frozen origin: got %d %s, want 403", r.status, r.body)
	}
	var forks struct{ Items []omadata.WitnessFork }
	e.do(t, "GET", "/api/v1/admin/witness/forks", e.admin, nil).decode(t, &forks)
	if len(forks.Items) != 1 || forks.Items[0].Known != cp.Note || forks.Items[0].Conflicting != forked.Note || forks.Items[0].ResolvedAt != nil {
		t.Fatalf("forks = %+v, want the one fork with both notes", forks.Items)
	}
	id := forks.Items[0].ID
	path := "/api/v1/admin/witness/forks/" + id + "/resolve"

	before := e.dump(t)
	for _, c := range []struct {
		name   string
		path   string
		body   any
		status int
		field  string
	}{
		{"KeepNeither", path, map[string]any{"keep": "both", "reason": "x"}, 400, "keep"},
		{"NoReason", path, map[string]any{"keep": "old"}, 400, "reason"},
		{"UnknownField", path, map[string]any{"keep": "old", "reason": "x", "origin": "x"}, 400, "origin"},
		{"NoSuchFork", "/api/v1/admin/witness/forks/wfk_0000000000000000000000000a/resolve", map[string]any{"keep": "old", "reason": "x"}, 404, ""},
		{"NotAForkID", "/api/v1/admin/witness/forks/cns_0000000000000000000000000a/resolve", map[string]any{"keep": "old", "reason": "x"}, 404, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, "POST", c.path, e.admin, c.body)
			wantStatus(t, r, c.status)
			if c.field != "" && r.err(t).Field != c.field {
				t.Errorf("field %q, want %q", r.err(t).Field, c.field)
			}
		})
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused resolutions changed the database:\n%s", firstDiff(before, after))
	}

	r := e.do(t, "POST", path, e.admin, map[string]any{"keep": "old", "reason": "the log's operator explained the fault"})
	wantStatus(t, r, 200)
	var resolved omadata.WitnessFork
	r.decode(t, &resolved)
	if resolved.ResolvedAt == nil || resolved.Resolution != "old" {
		t.Errorf("resolved = %+v, want resolved keeping old", resolved)
	}
	wantStatus(t, e.do(t, "POST", path, e.admin, map[string]any{"keep": "old", "reason": "again"}), 409)
	cp4, err := l.Grow(ctx, 1, "b")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.addCheckpoint(t, l, 3, cp4), 200)
}

// TestWitnessedCheckpoint: the public log publishes each checkpoint with
// the cosignatures collected for it, the newest that meets the witness
// policy with ?witnessed=true, and the policy (docs/witnessing.md §3, §5).
func TestWitnessedCheckpoint(t *testing.T) {
	ctx := context.Background()
	espoo, turku := testCosigner(t, "espoo.example/witness"), testCosigner(t, "turku.example/witness")
	ws := witnesses{
		{Name: espoo.Name(), VerifierKey: espoo.VerifierKey(), URL: "https://espoo.example/witness/v1", Label: text("Espoo")},
		{Name: turku.Name(), VerifierKey: turku.VerifierKey(), URL: "https://turku.example/witness/v1", Label: text("Turku")},
	}
	e := newEnv(t, func(o *web.Options) {
		o.Witnessed = &witness.Own{Log: o.Log, Store: o.Witness, Source: ws, LogKey: o.LogVerifierKey,
			LogURL: o.Operator.PublicURL + "/api/v1/public/log", Quorum: 2}
	})
	cp, err := e.store.LatestCheckpoint(adminCtx())
	if err != nil {
		t.Fatal(err)
	}
	size := strconv.FormatInt(cp.Size, 10)
	get := func(t *testing.T, path string, status int) string {
		t.Helper()
		r := e.call(t, "GET", path, "", "", nil)
		wantStatus(t, r, status)
		if status == 200 && r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type %q, want text/plain; charset=utf-8", r.header.Get("Content-Type"))
		}
		return string(r.body)
	}
	if got := get(t, "/api/v1/public/log/checkpoint", 200); got != cp.Note {
		t.Errorf("checkpoint = %q, want the note alone: no cosignature yet", got)
	}
	get(t, "/api/v1/public/log/checkpoint?witnessed=true", 404)
	get(t, "/api/v1/public/log/checkpoint?witnessed=maybe", 400)
	get(t, "/api/v1/public/log/checkpoints/"+strconv.FormatInt(cp.Size+1, 10), 404)
	get(t, "/api/v1/public/log/checkpoints/0", 400)

	// One of two witnesses: not witnessed under a quorum of two.
	text, _, _ := strings.Cut(cp.Note, "\n\n")
	text += "\n"
	cosign := func(c *witness.Cosigner) *omadata.Cosignature {
		line, err := c.Cosign(text)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open([]byte(cp.Note+line), note.VerifierList(mustVerifier(t, c.VerifierKey())))
		if err != nil {
			t.Fatal(err)
		}
		tm, err := witness.CosignatureTime(n.Sigs[0])
		if err != nil {
			t.Fatal(err)
		}
		return &omadata.Cosignature{Size: cp.Size, Witness: c.Name(), KeyHash: n.Sigs[0].Hash, Time: tm, Line: line, ReceivedAt: tm}
	}
	c1, c2 := cosign(espoo), cosign(turku)
	if err := e.store.AddCosignatures(ctx, cp.Size, []*omadata.Cosignature{c1}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, "/api/v1/public/log/checkpoint", 200); got != cp.Note+c1.Line {
		t.Errorf("checkpoint = %q, want the note and Espoo's line", got)
	}
	get(t, "/api/v1/public/log/checkpoint?witnessed=true", 404)
	if err := e.store.AddCosignatures(ctx, cp.Size, []*omadata.Cosignature{c2}); err != nil {
		t.Fatal(err)
	}
	got := get(t, "/api/v1/public/log/checkpoint?witnessed=true", 200)
	n, err := note.Open([]byte(got), note.VerifierList(mustNoteVerifier(t, storeLogKey(e)), mustVerifier(t, espoo.VerifierKey()), mustVerifier(t, turku.VerifierKey())))
	if err != nil {
		t.Fatalf("the witnessed checkpoint %q does not open: %v", got, err)
	} else if len(n.Sigs) != 3 {
		t.Errorf("%d signatures verify, want the log's and both witnesses'", len(n.Sigs))
	}
	if at := get(t, "/api/v1/public/log/checkpoints/"+size, 200); at != got {
		t.Errorf("checkpoints/%s = %q, want %q", size, at, got)
	}
	policy := get(t, "/api/v1/public/log/witness-policy", 200)
	p, err := witness.ParsePolicy([]byte(policy))
	if err != nil {
		t.Fatalf("the policy does not parse: %v\n%s", err, policy)
	}
	if len(p.Witnesses) != 2 || p.Witnesses[0].VerifierKey != espoo.VerifierKey() || len(p.Logs) != 1 || p.Logs[0].VerifierKey != storeLogKey(e) {
		t.Errorf("policy = %+v, want the log's key and both witnesses", p)
	}
	if v, err := p.Verify([]byte(got)); err != nil || !v.Met {
		t.Errorf("the published policy and checkpoint: met %v, %v", v, err)
	}
}

// storeLogKey is the log's verifier key, as the operator publishes it.
func storeLogKey(e *env) string {
	r, err := http.Get(e.url + "/.well-known/mydata/log-key")
	if err != nil {
		return ""
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return strings.TrimSpace(string(b))
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustNoteVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWitnessKey: the witness's verifier key is published at
// /.well-known/mydata/witness-key, where a log that adds this operator as
// its witness reads it, and it is not among the JOSE keys of
// /.well-known/jwks.json: it signs checkpoints, not tokens.
func TestWitnessKey(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, "GET", "/.well-known/mydata/witness-key", "", nil)
	wantStatus(t, r, 200)
	if got := string(r.body); got != e.cosigner.VerifierKey()+"\n" {
		t.Fatalf("witness key: got %q, want %q", got, e.cosigner.VerifierKey()+"\n")
	}
	if _, err := witness.NewCosignatureVerifier(strings.TrimSpace(string(r.body))); err != nil {
		t.Fatalf("the published witness key does not parse: %v", err)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	// The operator's own witness key, made as serve makes it.
	sealer, err := keys.NewSealer(storetest.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := witness.NewCosignerFromKeys(context.Background(), e.store, sealer, "operator.example/witness"); err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	e.do(t, "GET", "/.well-known/jwks.json", "", nil).decode(t, &set)
	stored, err := e.store.FindSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	witnessKeys := 0
	for _, k := range stored {
		if k.Purpose == omadata.KeyPurposeWitness {
			witnessKeys++
		}
		for _, j := range set.Keys {
			if j["kid"] == k.ID && k.Purpose != omadata.KeyPurposeRecords {
				t.Errorf("jwks.json publishes the %s key %s", k.Purpose, k.ID)
			}
		}
	}
	if witnessKeys != 1 {
		t.Fatalf("%d witness keys in the store, want 1", witnessKeys)
	}
}
