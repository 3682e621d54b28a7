// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// netWitness is a witness of the demo network as the trust chain names it.
type netWitness struct {
	name  string // the operator's city, or "anchor"
	proc  *child
	url   string // the tlog-witness submission prefix
	vkey  string
	check note.Verifier
}

// trustChain is what the test believes of the network: read from the
// anchor's configuration, verified with the anchor keys a joining city
// pins, each member's configuration verified with the keys the anchor's
// subordinate statement about it gives. Never from an answer's own word.
type trustChain struct {
	anchor    netWitness
	operators map[string]*omadata.OperatorMetadata // by city
}

func readTrustChain(t *testing.T, n *demoNet) *trustChain {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.Dir, "anchor.jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := federation.ParseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, raw := get(t, n.Anchor.URL+federation.WellKnownPath, "")
	ast, err := federation.Verify(strings.TrimSpace(raw), pinned, n.Anchor.URL, n.Anchor.URL, now)
	if err != nil {
		t.Fatalf("the anchor's configuration: %v", err)
	}
	aw, err := netnode.AnchorWitness(ast)
	if err != nil || aw == nil {
		t.Fatalf("the anchor names no witness: %v", err)
	}
	c := &trustChain{operators: map[string]*omadata.OperatorMetadata{}}
	c.anchor = netWitness{name: "anchor", proc: n.Anchor, url: aw.URL, vkey: aw.VerifierKey}
	if c.anchor.check, err = witness.NewCosignatureVerifier(aw.VerifierKey); err != nil {
		t.Fatal(err)
	}
	for _, op := range n.Operators {
		_, sub := get(t, n.Anchor.URL+"/fetch?sub="+url.QueryEscape(op.URL), "")
		sst, err := federation.Verify(strings.TrimSpace(sub), ast.JWKS, n.Anchor.URL, op.URL, now)
		if err != nil {
			t.Fatalf("the anchor's statement about %s: %v", op.Name, err)
		}
		_, ec := get(t, op.URL+federation.WellKnownPath, "")
		est, err := federation.Verify(strings.TrimSpace(ec), sst.JWKS, op.URL, op.URL, now)
		if err != nil {
			t.Fatalf("the configuration of %s: %v", op.Name, err)
		}
		var md omadata.OperatorMetadata
		if err := json.Unmarshal(est.Metadata[federation.MetadataOperator], &md); err != nil {
			t.Fatal(err)
		}
		c.operators[op.Name] = &md
	}
	return c
}

// witnessesOf are the witnesses of op's log: the two other operators and
// the anchor.
func (c *trustChain) witnessesOf(t *testing.T, n *demoNet, op *child) []netWitness {
	t.Helper()
	var ws []netWitness
	for _, o := range n.Operators {
		if o == op {
			continue
		}
		md := c.operators[o.Name]
		v, err := witness.NewCosignatureVerifier(md.WitnessVerifierKey)
		if err != nil {
			t.Fatalf("%s's witness key %q: %v", o.Name, md.WitnessVerifierKey, err)
		}
		ws = append(ws, netWitness{name: o.Name, proc: o, url: md.WitnessEndpoint, vkey: md.WitnessVerifierKey, check: v})
	}
	return append(ws, c.anchor)
}

// testNetworkWitness: the operators and the anchor witness each other's logs
// (issue 18, docs/witnessing.md), on the running demo network.
func testNetworkWitness(t *testing.T, bin string, n *demoNet) {
	chain := readTrustChain(t, n)
	t.Run("Cosignatures", func(t *testing.T) { testCosignatures(t, n, chain) })
	t.Run("ResidentProofs", func(t *testing.T) { testResidentProofs(t, n) })
	t.Run("Fork", func(t *testing.T) { testFork(t, bin, n, chain) })
	t.Run("Refusals", func(t *testing.T) { testWitnessRefusals(t, n, chain) })
}

// testCosignatures: each operator's latest checkpoint, and the newest
// that meets its witness policy, carries the cosignatures of the two
// other operators and of the anchor, each verified with the witness key
// of the trust chain, beside the log's signature verified with its log
// key of the chain.
func testCosignatures(t *testing.T, n *demoNet, chain *trustChain) {
	for _, op := range n.Operators {
		ws := chain.witnessesOf(t, n, op)
		logV, err := note.NewVerifier(chain.operators[op.Name].LogVerifierKey)
		if err != nil {
			t.Fatal(err)
		}
		vs := []note.Verifier{logV}
		for _, w := range ws {
			vs = append(vs, w.check)
		}
		for _, path := range []string{"/api/v1/public/log/checkpoint?witnessed=true", "/api/v1/public/log/checkpoint"} {
			deadline := time.Now().Add(60 * time.Second)
			for {
				res, body := get(t, op.URL+path, "")
				missing := []string{}
				if res.StatusCode == 200 {
					nt, err := note.Open([]byte(body), note.VerifierList(vs...))
					if err != nil {
						t.Fatalf("%s %s: a signature does not verify with the chain's keys: %v\n%s", op.Name, path, err, body)
					}
					signed := map[string]bool{}
					for _, s := range nt.Sigs {
						signed[s.Name] = true
						if s.Name != logV.Name() {
							if at, err := witness.CosignatureTime(s); err != nil || time.Since(at) > 10*time.Minute || time.Until(at) > time.Minute {
								t.Errorf("%s: the cosignature of %s has time %v, %v", op.Name, s.Name, at, err)
							}
						}
					}
					if !signed[logV.Name()] {
						missing = append(missing, "the log")
					}
					for _, w := range ws {
						if !signed[w.check.Name()] {
							missing = append(missing, w.name)
						}
					}
					if len(missing) == 0 {
						break
					}
				} else {
					missing = append(missing, fmt.Sprintf("status %d", res.StatusCode))
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s %s: no cosignature of %v in 60 s\n%s", op.Name, path, missing, tail(op))
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
	}
}

// answer is a witness's answer: its status, content type and body.
type answer struct {
	code     int
	ct, body string
}

// postCheckpoint sends an add-checkpoint request (tlog-witness).
func postCheckpoint(t *testing.T, prefix string, req *witness.Request) answer {
	t.Helper()
	res, err := http.Post(prefix+"/add-checkpoint", "text/plain", bytes.NewReader(req.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header.Get("Content-Type"), string(b)}
}

// logSigner is the log key of op, read from its database and unsealed
// with its demo secret key, as memberOf reads its federation key.
func logSigner(t *testing.T, n *demoNet, op *child, origin string) (note.Signer, string) {
	t.Helper()
	ctx := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	b, err := os.ReadFile(n.file(op, "omadata.key"))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := keys.NewSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, op.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k, err := keys.Active(ctx, store.New(db), omadata.KeyPurposeLog)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := keys.Signer(k, sealer)
	if err != nil {
		t.Fatal(err)
	}
	s, vkey, err := keys.NoteSigner(origin, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

// forged is a checkpoint of origin of size with a random root, signed.
func forged(t *testing.T, s note.Signer, origin string, size int64) []byte {
	t.Helper()
	var root tlog.Hash
	rand.Read(root[:])
	b, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", origin, size, root)}, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sizeAnswer reads a 409's text/x.tlog.size body.
func sizeAnswer(t *testing.T, a answer) int64 {
	t.Helper()
	code, ct, body := a.code, a.ct, a.body
	size, err := strconv.ParseInt(strings.TrimSuffix(body, "\n"), 10, 64)
	if code != http.StatusConflict || ct != "text/x.tlog.size" || err != nil {
		t.Fatalf("got %d %s %q, want 409 text/x.tlog.size", code, ct, body)
	}
	return size
}

// testFork: a second history of Helsinki's log, signed with Helsinki's
// log key (read from its database: the key the witnesses trust, as the
// chain gives it), shown to every witness of Helsinki's log. Each
// refuses it (409 for the same size with another root at Espoo and the
// anchor, 422 for a proof that does not verify at Turku), keeps both
// notes as evidence, reports it (the ERROR line; the counter at the
// operators), and refuses Helsinki's next honest checkpoint with 403 until
// its admin resolves the fork. The log.fork_detected webhook is the store
// suite's (Witness/Forks): the demo data has no service with a webhook.
func testFork(t *testing.T, bin string, n *demoNet, chain *trustChain) {
	hki := n.Operators[0]
	md := chain.operators[hki.Name]
	signer, vkey := logSigner(t, n, hki, md.LogOrigin)
	if vkey != md.LogVerifierKey {
		t.Fatalf("Helsinki's log key in its database %s is not the chain's %s", vkey, md.LogVerifierKey)
	}
	logV, _ := note.NewVerifier(md.LogVerifierKey)
	honest := func() []byte {
		_, body := get(t, hki.URL+"/api/v1/public/log/checkpoint", "")
		return []byte(body)
	}
	for _, w := range chain.witnessesOf(t, n, hki) {
		t.Run(w.name, func(t *testing.T) {
			withProof := w.name == demo.CityTurku
			var fork []byte
			for attempt := 0; fork == nil; attempt++ {
				if attempt == 10 {
					t.Fatalf("no fork refused in 10 attempts\n%s", tail(w.proc))
				}
				// The size the witness holds for Helsinki (a stale old
				// size answers it), then a checkpoint against it.
				held := sizeAnswer(t, postCheckpoint(t, w.url, &witness.Request{OldSize: 0, Checkpoint: forged(t, signer, md.LogOrigin, 1<<40)}))
				var code int
				var body string
				if withProof {
					fork = forged(t, signer, md.LogOrigin, held+7)
					proof := make(tlog.TreeProof, 3)
					for i := range proof {
						rand.Read(proof[i][:])
					}
					a := postCheckpoint(t, w.url, &witness.Request{OldSize: held, Proof: proof, Checkpoint: fork})
					code, body = a.code, a.body
					if code != http.StatusUnprocessableEntity && code != http.StatusConflict {
						t.Fatalf("a bad proof: %d %q, want 422", code, body)
					}
				} else {
					fork = forged(t, signer, md.LogOrigin, held)
					sizeAnswer(t, postCheckpoint(t, w.url, &witness.Request{OldSize: held, Checkpoint: fork}))
				}
				// Frozen: Helsinki's honest checkpoint is refused.
				a := postCheckpoint(t, w.url, &witness.Request{OldSize: 0, Checkpoint: honest()})
				code, body = a.code, a.body
				if code != http.StatusForbidden {
					fork = nil // Helsinki's collector moved the witness on between the two: again
					continue
				} else if !strings.Contains(body, "frozen") {
					t.Fatalf("the honest checkpoint after the fork: %d %q, want 403 frozen", code, body)
				}
			}

			// The evidence: both notes, the known one Helsinki's own.
			var forks []*omadata.WitnessFork
			if w.proc == n.Anchor {
				out, err := exec.Command(bin, "network", "anchor", "forks", "--db", n.Anchor.DB, "--json").Output()
				if err != nil || json.Unmarshal(out, &forks) != nil {
					t.Fatalf("omadata network anchor forks: %v\n%s", err, out)
				}
			} else {
				var list struct{ Items []*omadata.WitnessFork }
				callJSON(t, w.proc.URL, "GET", "/api/v1/admin/witness/forks", readToken(t, n.file(w.proc, demo.AdminTokenFile)), nil, 200, &list)
				forks = list.Items
			}
			var f *omadata.WitnessFork
			for _, x := range forks {
				if x.Origin == md.LogOrigin && x.Conflicting == string(fork) && x.ResolvedAt == nil {
					f = x
				}
			}
			if f == nil {
				t.Fatalf("no evidence of the fork among %d", len(forks))
			}
			// Both notes verbatim on the admin's command line.
			show := exec.Command(bin, "witness", "forks", "--database", w.proc.DB, "--show", f.ID)
			if w.proc == n.Anchor {
				show = exec.Command(bin, "network", "anchor", "forks", "--db", n.Anchor.DB, "--show", f.ID)
			}
			if out, err := show.CombinedOutput(); err != nil || !strings.Contains(string(out), f.Known) || !strings.Contains(string(out), string(fork)) {
				t.Errorf("%s: %v\n%s", show, err, out)
			}
			if _, err := note.Open([]byte(f.Known), note.VerifierList(logV)); err != nil {
				t.Errorf("the known checkpoint does not verify with Helsinki's log key: %v", err)
			}
			if withProof && len(f.Proof) != 3 {
				t.Errorf("the evidence keeps %d proof hashes, want the 3 sent", len(f.Proof))
			}

			// Reported: the ERROR line, and the counter at an operator.
			logged := false
			for _, l := range strings.Split(w.proc.tail(), "\n") {
				logged = logged || strings.Contains(l, `"level":"ERROR"`) && strings.Contains(l, `"msg":"witness: fork"`) && strings.Contains(l, md.LogOrigin)
			}
			if !logged {
				t.Errorf("no ERROR line for the fork\n%s", tail(w.proc))
			}
			if w.proc != n.Anchor {
				if got := metricValue(t, w.proc.URL, `omadata_witness_forks_total{origin="`+md.LogOrigin+`"}`); got != "1" {
					t.Errorf("omadata_witness_forks_total of Helsinki's origin: %s, want 1", got)
				}
			}

			// Resolved, keeping the checkpoint cosigned before: the
			// honest checkpoint is answered again (409: old 0 is stale).
			if w.proc == n.Anchor {
				if out, err := exec.Command(bin, "network", "anchor", "resolve-fork", "--db", n.Anchor.DB, "--keep", "old", "--reason", "test: Helsinki explained", "--by", "test", f.ID).CombinedOutput(); err != nil {
					t.Fatalf("omadata network anchor resolve-fork: %v\n%s", err, out)
				}
			} else {
				callJSON(t, w.proc.URL, "POST", "/api/v1/admin/witness/forks/"+f.ID+"/resolve", readToken(t, n.file(w.proc, demo.AdminTokenFile)),
					map[string]string{"keep": "old", "reason": "test: Helsinki explained"}, 200, nil)
			}
			if a := postCheckpoint(t, w.url, &witness.Request{OldSize: 0, Checkpoint: honest()}); a.code == http.StatusForbidden {
				t.Errorf("the honest checkpoint after the resolution: %d %q", a.code, a.body)
			}
		})
	}
}

// metricValue reads a series from base's /metrics, "0" when absent.
func metricValue(t *testing.T, base, series string) string {
	t.Helper()
	_, body := get(t, base+"/metrics", "")
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, series+" ") {
			return strings.Fields(l)[1]
		}
	}
	return "0"
}

// testWitnessRefusals: a real witness process (Espoo's) answers a stale
// old size with 409 and the size it holds, a request replayed after the
// log moved on with 409, and a checkpoint signed with another key than
// the log's with 403. The log is one Espoo's admin added with a key the
// test holds.
func testWitnessRefusals(t *testing.T, n *demoNet, chain *trustChain) {
	ctx := context.Background()
	esp := n.Operators[1]
	prefix := chain.operators[esp.Name].WitnessEndpoint
	wv, err := witness.NewCosignatureVerifier(chain.operators[esp.Name].WitnessVerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := witnesstest.NewLog("outside.example/log")
	if err != nil {
		t.Fatal(err)
	}
	callJSON(t, esp.URL, "POST", "/api/v1/admin/witness/logs", readToken(t, n.file(esp, demo.AdminTokenFile)),
		map[string]any{"origin": lg.Origin, "verifier_keys": []string{lg.VerifierKey}, "label": "Outside", "reason": "test"}, 201, nil)
	cp3, err := lg.Grow(ctx, 3, "a")
	if err != nil {
		t.Fatal(err)
	}
	first := &witness.Request{OldSize: 0, Checkpoint: []byte(cp3.Note)}
	cosigned := func(code int, body string, cp *omadata.Checkpoint) {
		t.Helper()
		if code != 200 {
			t.Fatalf("checkpoint %d: %d %q", cp.Size, code, body)
		}
		text := cp.Note[:strings.Index(cp.Note, "\n\n")+1]
		if _, err := note.Open([]byte(text+"\n"+body), note.VerifierList(wv)); err != nil {
			t.Fatalf("checkpoint %d: the cosignature %q does not verify with Espoo's witness key: %v", cp.Size, body, err)
		}
	}
	a := postCheckpoint(t, prefix, first)
	cosigned(a.code, a.body, cp3)
	cp5, err := lg.Grow(ctx, 2, "b")
	if err != nil {
		t.Fatal(err)
	}
	proof, err := lg.TreeProof(ctx, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	a = postCheckpoint(t, prefix, &witness.Request{OldSize: 3, Proof: proof, Checkpoint: []byte(cp5.Note)})
	cosigned(a.code, a.body, cp5)

	// Stale: the old size 3 again, behind the 5 held.
	if got := sizeAnswer(t, postCheckpoint(t, prefix, &witness.Request{OldSize: 3, Proof: proof, Checkpoint: []byte(cp5.Note)})); got != 5 {
		t.Errorf("stale: the witness answers size %d, want 5", got)
	}
	// Replayed: the first request, cosigned before, sent again.
	if got := sizeAnswer(t, postCheckpoint(t, prefix, first)); got != 5 {
		t.Errorf("replayed: the witness answers size %d, want 5", got)
	}
	// Wrongly signed: another key under the log's origin.
	other, err := witnesstest.NewLog(lg.Origin)
	if err != nil {
		t.Fatal(err)
	}
	cp6, err := other.Grow(ctx, 6, "c")
	if err != nil {
		t.Fatal(err)
	}
	proof, _ = other.TreeProof(ctx, 5, 6)
	if a := postCheckpoint(t, prefix, &witness.Request{OldSize: 5, Proof: proof, Checkpoint: []byte(cp6.Note)}); a.code != http.StatusForbidden {
		t.Errorf("signed with another key: %d %q, want 403", a.code, a.body)
	}
}

// testResidentProofs: what residents see is checked against a witnessed
// checkpoint. Aino's "who used my data" at Helsinki (which has the grant to
// Espoo's sink) and each of its proof pages say, in all three languages,
// that the entries were checked against a checkpoint cosigned by the
// network's witnesses, named as the trust chain names them, and no check
// failed.
func testResidentProofs(t *testing.T, n *demoNet) {
	hki := n.Operators[0]
	// The witnesses' labels in English: the peers' names (the anchor pins
	// them, docs/network.md §2.2) and the anchor's.
	names := map[string]bool{}
	for _, o := range n.Operators[1:] {
		var md omadata.OperatorMetadata
		_, body := get(t, o.URL+"/.well-known/openid-federation", "")
		parts := strings.Split(body, ".")
		if len(parts) != 3 {
			t.Fatalf("%s: entity configuration %q", o.Name, body)
		}
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Metadata struct {
				Operator omadata.OperatorMetadata `json:"omadata_operator"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(raw, &claims); err != nil {
			t.Fatal(err)
		}
		md = claims.Metadata.Operator
		names[md.Name["en"]] = true
	}
	session := demoLogin(t, hki.URL, "aino")
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(hki.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "omadata_session", Value: session, Path: "/"}})
	br := &browser{t: t, base: hki.URL, http: &http.Client{Jar: jar}}
	said := map[string]string{
		"en": "checked against a checkpoint cosigned by",
		"fi": "vasta-allekirjoittaneet nämä todistajat",
		"sv": "har kontrasignerat",
	}
	for _, lang := range []string{"en", "fi", "sv"} {
		// Until the entries are in the tree (a leaf waits for the next
		// checkpoint, without a proof link) and a witnessed checkpoint
		// covers them.
		re := regexp.MustCompile(`href="(/` + lang + `/usage/proof\?[^"]+)"`)
		var body string
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
			_, body = br.do("GET", hki.URL+"/"+lang+"/usage", nil)
			if strings.Contains(strings.ToLower(body), said[lang]) && re.MatchString(body) || time.Now().After(deadline) {
				break
			}
		}
		main := body
		if i := strings.Index(body, "<main"); i >= 0 {
			main = body[i:]
		}
		if !strings.Contains(strings.ToLower(main), said[lang]) || strings.Contains(main, "witness-failed") {
			t.Fatalf("%s: Aino's usage at Helsinki is not checked against a witnessed checkpoint:\n%.4000s", lang, main)
		}
		if lang == "en" {
			named := 0
			for name := range names {
				if strings.Contains(main, name) {
					named++
				}
			}
			if named == 0 {
				t.Errorf("the usage page names none of the peer witnesses %v:\n%.4000s", names, main)
			}
		}
		links := re.FindAllStringSubmatch(body, -1)
		if len(links) == 0 {
			t.Fatalf("%s: no proof link on Aino's usage page:\n%.6000s", lang, main)
		}
		for _, l := range links[:min(len(links), 3)] {
			// A new entry waits for the witnesses' next round (1 s here).
			var pm string
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
				_, proof := br.do("GET", hki.URL+strings.ReplaceAll(l[1], "&amp;", "&"), nil)
				pm = proof
				if i := strings.Index(proof, "<main"); i >= 0 {
					pm = proof[i:]
				}
				if strings.Contains(strings.ToLower(pm), said[lang]) || time.Now().After(deadline) {
					break
				}
			}
			if !strings.Contains(strings.ToLower(pm), said[lang]) || strings.Contains(pm, "witness-failed") {
				t.Errorf("%s: proof page %s is not checked against a witnessed checkpoint:\n%.4000s", lang, l[1], pm)
			}
		}
	}
}
