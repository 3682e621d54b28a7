// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// startDemoServe boots serve --demo as startServe does, with the settings
// of env.
func startDemoServe(t *testing.T, dir string, env map[string]string) *server {
	t.Helper()
	ready := make(chan net.Addr, 1)
	s := &server{Dir: dir, done: make(chan error, 1), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	m := &Main{Stdout: s.stdout, Stderr: s.stderr, LookupEnv: envOf(env), Ready: func(a net.Addr) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		s.done <- m.Run(ctx, []string{"serve", "--demo", "--listen", "127.0.0.1:0",
			"--database", "sqlite:" + filepath.Join(dir, "omadata.db"), "--log-level", "warn"})
	}()
	select {
	case addr := <-ready:
		s.URL = "http://" + addr.String()
	case err := <-s.done:
		t.Fatalf("serve stopped before listening: %v\n%s", err, s.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start in 30 s")
	}
	return s
}

// testWitness is a witness of its own, as another operator runs one:
// witness.Handler over a store of its own, behind an httptest server.
type testWitness struct {
	*witness.Cosigner
	store *store.Store
	srv   *httptest.Server
}

func newTestWitness(t *testing.T, name string) *testWitness {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	w := &testWitness{Cosigner: c, store: storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "witness.db"))}
	mux := http.NewServeMux()
	mux.Handle("POST /witness/v1/add-checkpoint", &witness.Handler{State: w.store, Cosigner: c})
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

// getText returns a GET's status and body.
func getText(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestServeWitnessed: serve's collector has the operator's checkpoint
// cosigned by the witnesses of OMADATA_WITNESSES (two witnesses of their
// own, each on its own database), and publishes it with
// ?witnessed=true once both cosigned (OMADATA_WITNESS_QUORUM=2), with the
// policy; its own witness on /witness/v1 cosigns a log an admin added,
// refuses, logs and counts a fork of it (docs/witnessing.md §2, §3, §4).
func TestServeWitnessed(t *testing.T) {
	a, b := newTestWitness(t, "a.example/witness"), newTestWitness(t, "b.example/witness")
	dir := t.TempDir()
	file := filepath.Join(dir, "witnesses")
	writeFile(t, file, "# outside the network\nwitness alpha "+a.VerifierKey()+" "+a.srv.URL+"/witness/v1\n"+
		"witness beta "+b.VerifierKey()+" "+b.srv.URL+"/witness/v1\n")
	s := startDemoServe(t, dir, map[string]string{"OMADATA_WITNESSES": file, "OMADATA_WITNESS_INTERVAL": "1s", "OMADATA_WITNESS_QUORUM": "2"})
	defer s.stop(t)

	// The witnesses learn the log's origin and key as an admin would add
	// them (omadata witness add-log): from the log's own publications.
	_, logKey := getText(t, s.URL+"/.well-known/mydata/log-key")
	logKey = strings.TrimSpace(logKey)
	verifier, err := note.NewVerifier(logKey)
	if err != nil {
		t.Fatalf("log key %q: %v", logKey, err)
	}
	if status, _ := getText(t, s.URL+"/api/v1/public/log/checkpoint?witnessed=true"); status != 404 {
		t.Errorf("before any witness knows the log: ?witnessed=true answered %d, want 404", status)
	}
	for _, w := range []*testWitness{a, b} {
		if err := w.store.PutWitnessedLog(storetest.Admin(), &omadata.WitnessedLog{Origin: verifier.Name(), VerifierKeys: []string{logKey},
			Source: omadata.WitnessLogAdmin, Label: "the operator", Active: true, Reason: "a test"}); err != nil {
			t.Fatal(err)
		}
	}

	var signed string
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := getText(t, s.URL+"/api/v1/public/log/checkpoint?witnessed=true")
		if status == 200 {
			signed = body
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no witnessed checkpoint after 30 s: %d %s\n%s", status, body, s.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(verifier, mustCosignatureVerifier(t, a.VerifierKey()), mustCosignatureVerifier(t, b.VerifierKey())))
	if err != nil {
		t.Fatalf("the witnessed checkpoint does not open: %v\n%s", err, signed)
	} else if len(n.Sigs) != 3 {
		t.Fatalf("%d signatures verify, want the log's and both witnesses'\n%s", len(n.Sigs), signed)
	}
	// Each witness holds the checkpoint it cosigned, in its own database.
	cp, err := witness.ParseCheckpoint(n.Text)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*testWitness{a, b} {
		if l, err := w.store.WitnessedLog(context.Background(), verifier.Name()); err != nil || l.Size < cp.Size {
			t.Errorf("%s holds %+v, %v; want size %d or more", w.Name(), l, err, cp.Size)
		}
	}

	_, policy := getText(t, s.URL+"/api/v1/public/log/witness-policy")
	p, err := witness.ParsePolicy([]byte(policy))
	if err != nil {
		t.Fatalf("policy: %v\n%s", err, policy)
	}
	if len(p.Witnesses) != 2 || p.Witnesses[0].VerifierKey != a.VerifierKey() || p.Witnesses[1].URL != b.srv.URL+"/witness/v1" {
		t.Errorf("policy = %s, want both witnesses", policy)
	}
	if v, err := p.Verify([]byte(signed)); err != nil || !v.Met {
		t.Errorf("the policy is not met by the witnessed checkpoint: %+v %v", v, err)
	}

	// The operator is a witness too, and answers as one: its own log is
	// none it witnesses.
	resp, err := http.Post(s.URL+"/witness/v1/add-checkpoint", "text/plain", strings.NewReader("old 0\n\n"+signed))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("add-checkpoint of a log it does not witness: got %d, want 404", resp.StatusCode)
	}

	// An admin adds a log to the operator's witness; shown a fork of it,
	// the witness refuses it, keeps it and counts it.
	admin := readToken(t, filepath.Join(dir, "omadata.demo-token"))
	l, err := witnesstest.NewLog("tilastot.example/log")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"origin": "tilastot.example/log", "verifier_keys": ["` + l.VerifierKey + `"], "reason": "a city's statistics log"}`
	if status := call(t, "POST", s.URL+"/api/v1/admin/witness/logs", admin, body, nil); status != 201 {
		t.Fatalf("add a log: %d", status)
	}
	cp3, err := l.Grow(context.Background(), 3, "a")
	if err != nil {
		t.Fatal(err)
	}
	fork, err := witnesstest.NewLogWithKey(l.Origin, l.Key)
	if err != nil {
		t.Fatal(err)
	}
	forked, err := fork.Grow(context.Background(), 3, "z")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		note   string
		status int
	}{{cp3.Note, 200}, {forked.Note, 409}, {cp3.Note, 403}} {
		old := "old 0\n\n"
		if c.status != 200 {
			old = "old 3\n\n"
		}
		resp, err := http.Post(s.URL+"/witness/v1/add-checkpoint", "text/plain", strings.NewReader(old+c.note))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("add-checkpoint: got %d, want %d", resp.StatusCode, c.status)
		}
	}
	if !strings.Contains(s.stderr.String(), `"msg":"witness: fork"`) || !strings.Contains(s.stderr.String(), `"level":"ERROR"`) {
		t.Errorf("no ERROR line for the fork:\n%s", s.stderr)
	}

	_, metrics := getText(t, s.URL+"/metrics")
	for _, want := range []string{
		`omadata_witness_cosignatures_total{result="ok",witness="a.example/witness"}`,
		`omadata_witness_cosignatures_total{result="ok",witness="b.example/witness"}`,
		`omadata_witness_last_cosigned_size{witness="a.example/witness"}`,
		`omadata_witness_requests_total{status="404"} 1`,
		`omadata_witness_requests_total{status="200"} 1`,
		`omadata_witness_requests_total{status="409"} 1`,
		`omadata_witness_requests_total{status="403"} 1`,
		`omadata_witness_forks_total{origin="tilastot.example/log"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

func mustCosignatureVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// networkWitnesses is a fixed network witness list.
type networkWitnesses []omadata.WitnessRef

func (n networkWitnesses) Witnesses(context.Context) ([]omadata.WitnessRef, error) { return n, nil }

// TestWitnessList: the network's witnesses come first, then the outside
// ones; a witness named twice is asked once, and no more than 32 are
// (docs/witnessing.md §3, §8).
func TestWitnessList(t *testing.T) {
	ref := func(name string) omadata.WitnessRef {
		return omadata.WitnessRef{Name: name, VerifierKey: testWitnessKey(t, name), URL: "https://" + name}
	}
	espoo, anchor, outside := ref("espoo.example/witness"), ref("anchor.example/witness"), ref("witness.example.org")
	l := witnessList{network: networkWitnesses{espoo, anchor}, outside: []omadata.WitnessRef{espoo, outside}}
	ws, err := l.Witnesses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range ws {
		names = append(names, w.Name)
	}
	if strings.Join(names, " ") != "espoo.example/witness anchor.example/witness witness.example.org" {
		t.Errorf("witnesses = %v, want the network's, then the outside one not named before", names)
	}
	if ws, _ := (witnessList{outside: []omadata.WitnessRef{outside}}).Witnesses(context.Background()); len(ws) != 1 {
		t.Errorf("outside a network: %v, want the outside witness", ws)
	}
	var many networkWitnesses
	for i := range 40 {
		many = append(many, omadata.WitnessRef{Name: "w" + strings.Repeat("x", i) + ".example"})
	}
	if ws, _ := (witnessList{network: many}).Witnesses(context.Background()); len(ws) != 32 {
		t.Errorf("got %d witnesses, want at most 32", len(ws))
	}
}

// TestWitnessListClash: a member cannot drop another witness by reusing
// its name or its public key (security review of issue 18, finding 2).
// The trust anchor's and the configured witnesses are kept whatever the
// members publish, a member's clashing witness is left out with a WARN
// line (once), and one public key under two names is one witness.
func TestWitnessListClash(t *testing.T) {
	key := func(name string) (string, ed25519.PrivateKey) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		c, err := witness.NewCosigner(name, priv)
		if err != nil {
			t.Fatal(err)
		}
		return c.VerifierKey(), priv
	}
	rename := func(priv ed25519.PrivateKey, name string) string {
		c, err := witness.NewCosigner(name, priv)
		if err != nil {
			t.Fatal(err)
		}
		return c.VerifierKey()
	}
	anchorKey, anchorPriv := key("anchor.example/witness")
	outsideKey, outsidePriv := key("witness.example.org")
	turkuKey, turkuPriv := key("turku.example/witness")
	anchor := omadata.WitnessRef{Name: "anchor.example/witness", VerifierKey: anchorKey, URL: "https://anchor.example/witness/v1"}
	outside := omadata.WitnessRef{Name: "witness.example.org", VerifierKey: outsideKey, URL: "https://witness.example.org"}
	turku := omadata.WitnessRef{Name: "turku.example/witness", VerifierKey: turkuKey, URL: "https://turku.example/witness/v1", OperatorID: "https://turku.example"}
	member := func(id, name, vkey string) omadata.WitnessRef {
		return omadata.WitnessRef{Name: name, VerifierKey: vkey, URL: id + "/witness/v1", OperatorID: id}
	}
	ownKey, _ := key("anchor.example/witness")
	for _, c := range []struct {
		name    string
		members []omadata.WitnessRef
		want    string
	}{
		{"AnchorsName", []omadata.WitnessRef{member("https://espoo.example", "anchor.example/witness", ownKey), turku},
			"turku.example/witness anchor.example/witness witness.example.org"},
		{"AnchorsKeyUnderItsOwnName", []omadata.WitnessRef{member("https://espoo.example", "espoo.example/witness", rename(anchorPriv, "espoo.example/witness")), turku},
			"turku.example/witness anchor.example/witness witness.example.org"},
		{"ConfiguredName", []omadata.WitnessRef{member("https://espoo.example", "witness.example.org", ownKey), turku},
			"turku.example/witness anchor.example/witness witness.example.org"},
		{"ConfiguredKey", []omadata.WitnessRef{member("https://espoo.example", "espoo.example/witness", rename(outsidePriv, "espoo.example/witness")), turku},
			"turku.example/witness anchor.example/witness witness.example.org"},
		{"AnotherMembersKey", []omadata.WitnessRef{turku, member("https://espoo.example", "espoo.example/witness", rename(turkuPriv, "espoo.example/witness"))},
			"turku.example/witness anchor.example/witness witness.example.org"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			l := witnessList{network: networkWitnesses(append(c.members, anchor)), outside: []omadata.WitnessRef{outside},
				logger: slog.New(slog.NewTextHandler(&logs, nil)), warned: &sync.Map{}}
			for range 2 {
				ws, err := l.Witnesses(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, w := range ws {
					names = append(names, w.Name)
					if w.Name == anchor.Name && w.VerifierKey != anchor.VerifierKey || w.Name == outside.Name && w.VerifierKey != outside.VerifierKey {
						t.Errorf("%s asked with the key %s, want its own", w.Name, w.VerifierKey)
					}
				}
				if got := strings.Join(names, " "); got != c.want {
					t.Errorf("witnesses = %s, want %s", got, c.want)
				}
			}
			if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "operator=https://espoo.example") {
				t.Errorf("log:\n%s\nwant one WARN line naming Espoo", logs.String())
			}
		})
	}
}

// TestWitnessListSelf: the operator's own witness is never asked to
// cosign its own log, whether OMADATA_WITNESSES names it (by its key,
// under any name) or not: a log does not witness itself (outsider review
// of issue 18).
func TestWitnessListSelf(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	own, err := witness.NewCosigner("helsinki.example/witness", priv)
	if err != nil {
		t.Fatal(err)
	}
	alias, err := witness.NewCosigner("alias.example/witness", priv)
	if err != nil {
		t.Fatal(err)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	honest, err := witness.NewCosigner("witness.example.org", other)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	l := witnessList{outside: []omadata.WitnessRef{
		{Name: own.Name(), VerifierKey: own.VerifierKey(), URL: "https://helsinki.example/witness/v1"},
		{Name: alias.Name(), VerifierKey: alias.VerifierKey(), URL: "https://helsinki.example/witness/v1"},
		{Name: honest.Name(), VerifierKey: honest.VerifierKey(), URL: "https://witness.example.org"},
	}, self: own.VerifierKey(), logger: slog.New(slog.NewTextHandler(&logs, nil)), warned: &sync.Map{}}
	ws, err := l.Witnesses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Name != honest.Name() {
		t.Fatalf("witnesses = %+v, want only %s", ws, honest.Name())
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 2 {
		t.Errorf("log:\n%s\nwant a WARN line for each left out", logs.String())
	}
}
