// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/archive"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web/portal"
	"github.com/omadata/omadata/internal/witness"
)

// staticWitnesses is a fixed list of witnesses, as OMADATA_WITNESSES
// names them.
type staticWitnesses []omadata.WitnessRef

func (s staticWitnesses) Witnesses(context.Context) ([]omadata.WitnessRef, error) { return s, nil }

// newWitness runs a real witness of the test stores' log (witness.Handler
// over a store of its own, with its own key) on a test server.
func newWitness(t *testing.T, name string, label omadata.Text, logKey string) omadata.WitnessRef {
	t.Helper()
	st := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "witness.db"))
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutWitnessedLog(storetest.Admin(), &omadata.WitnessedLog{Origin: storetest.LogOrigin, VerifierKeys: []string{logKey},
		Source: omadata.WitnessLogAdmin, Label: "the test city", Active: true, Reason: "a witness of the test"}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /witness/v1/add-checkpoint", &witness.Handler{State: st, Cosigner: c})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return omadata.WitnessRef{Name: name, VerifierKey: c.VerifierKey(), URL: hs.URL + "/witness/v1", Label: label}
}

var (
	espoo  = omadata.Text{"fi": "Espoo", "sv": "Esbo", "en": "Espoo"}
	turku  = omadata.Text{"fi": "Turku", "sv": "Åbo", "en": "Turku"}
	vantaa = omadata.Text{"fi": "Vantaa", "sv": "Vanda", "en": "Vantaa"}
)

// withWitnesses gives the env's operator the witnesses Espoo and Turku
// (none when quorum is 0 and no labels), real ones, with the quorum k
// (-1: the default, all but one): the portal's Witnessed is witness.Own
// over the env's store, e.collect runs one round of the collector, and the
// test server publishes the witness policy (web.Options.Witnessed). tamper, if set, says when the
// test server changes one hash of the proof page's proof data.
func withWitnesses(t *testing.T, quorum int, tamper func() bool, labels ...omadata.Text) func(*env, *portal.Options) {
	return func(e *env, o *portal.Options) {
		logKey := storetest.LogVerifierKey(t, e.store)
		var ws staticWitnesses
		for _, l := range labels {
			ws = append(ws, newWitness(t, strings.ToLower(l.In("en"))+".example/witness", l, logKey))
		}
		own := &witness.Own{Log: e.store, Store: e.store, Source: ws, LogKey: logKey, Quorum: quorum}
		o.Witnessed = own
		col := &witness.Collector{Log: e.store, Store: e.store, Witnesses: ws, Client: &witness.Client{HTTP: http.DefaultClient}, Timeout: 10 * time.Second}
		e.collect = func(t *testing.T) {
			t.Helper()
			if err := col.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if tamper != nil {
			e.wrap = func(h http.Handler) http.Handler { return tamperProof(t, h, tamper) }
		}
	}
}

var proofDataRE = regexp.MustCompile(`(?s)(<script type="application/json" id="proof-data">)(.*?)(</script>)`)

// tamperProof is the test server's seam: while on() says so, it changes
// one bit of the first hash of the inclusion proof in the proof page's
// proof data, as an operator showing a false proof would.
func tamperProof(t *testing.T, h http.Handler, on func() bool) http.Handler {
	return rewriteProof(t, h, func() func(d map[string]any) {
		if !on() {
			return nil
		}
		return func(d map[string]any) {
			hs, _ := d["hashes"].([]any)
			if len(hs) == 0 {
				t.Errorf("the proof has no hash to change")
				return
			}
			b, _ := base64.StdEncoding.DecodeString(hs[0].(string))
			b[0] ^= 1
			hs[0] = base64.StdEncoding.EncodeToString(b)
		}
	})
}

// rewriteProof is the test server's seam: when edit() returns a function,
// it changes the proof page's proof data with it, as an operator showing
// the resident's browser something else than the truth would.
func rewriteProof(t *testing.T, h http.Handler, edit func() func(d map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := edit()
		if f == nil || !strings.HasSuffix(r.URL.Path, "/usage/proof") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := proofDataRE.ReplaceAllFunc(rec.Body.Bytes(), func(m []byte) []byte {
			parts := proofDataRE.FindSubmatch(m)
			var d map[string]any
			if err := json.Unmarshal(parts[2], &d); err != nil {
				t.Errorf("proof data: %v", err)
				return m
			}
			f(d)
			j, _ := json.Marshal(d)
			return bytes.Join([][]byte{parts[1], j, parts[3]}, nil)
		})
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// proofPage gives a consent, has the decision logged and integrated, and
// returns the path of the newest entry's proof page in lang.
// mattisProofs signs Matti in, gives a consent, has it decided and put in
// the tree (and, with collect, cosigned by the witnesses), and returns his
// client and the proof links of his "who used my data".
func mattisProofs(t *testing.T, e *env, collect bool) (*client, []string) {
	t.Helper()
	c := e.client(t)
	c.login("en", "matti")
	c.give("en", e.recommendations(t))
	e.decide(t, e.resident(t, mattiCode).ID)
	e.integrate(t)
	if collect {
		e.collect(t)
	}
	proofs := c.usageProofs("en")
	if len(proofs) == 0 {
		t.Fatal("no proof link on who used my data")
	}
	return c, proofs
}

func (c *client) usageProofs(lang string) []string {
	c.t.Helper()
	p := c.get("/" + lang + "/usage")
	var out []string
	for _, m := range proofLinkRE.FindAllStringSubmatch(p.body, -1) {
		out = append(out, htmlUnescape(m[1]))
	}
	return out
}

// TestProofWitnessed: the proof page checks against the checkpoint the
// witnesses Espoo and Turku cosigned and names them in the page's
// language; an entry newer than it waits for witnesses; "who used my
// data" says up to which entry the witnesses vouch.
func TestProofWitnessed(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, nil, withWitnesses(t, -1, nil, espoo, turku))
	c := e.client(t)
	c.login("en", "matti")
	c.give("en", e.recommendations(t))
	matti := e.resident(t, mattiCode)
	e.decide(t, matti.ID)
	e.integrate(t)

	// Not cosigned yet: checked against the operator's own signature,
	// waiting for witnesses.
	proofs := c.usageProofs("en")
	if len(proofs) == 0 {
		t.Fatal("no proof link on who used my data")
	}
	p := c.get(proofs[0])
	if !strings.Contains(p.body, "The proof checks out") || !strings.Contains(p.body, "Waiting for witnesses") {
		t.Fatalf("before the witnesses cosign: %s", between(p.body, "<main", "</main>"))
	}

	e.collect(t)
	want := map[string]string{
		"fi": "Tarkistettu tarkistuspistettä vasten, jonka ovat vasta-allekirjoittaneet nämä todistajat: Espoo ja Turku.",
		"sv": "Kontrollerat mot en kontrollpunkt som Esbo och Åbo har kontrasignerat.",
		"en": "Checked against a checkpoint cosigned by Espoo and Turku.",
	}
	for lang, w := range want {
		p := c.get(strings.Replace(proofs[0], "/en/", "/"+lang+"/", 1))
		if p.status != 200 || !strings.Contains(htmlUnescape(p.body), w) {
			t.Errorf("%s: want %q in %s", lang, w, between(p.body, "<main", "</main>"))
		}
		if !strings.Contains(p.body, `id="proof-data"`) || !strings.Contains(p.body, `<script src="/static/proofcheck.js" defer></script>`) {
			t.Errorf("%s: no proof data or script for the browser", lang)
		}
		// Without JavaScript: how to check by hand, in the public docs.
		if !strings.Contains(between(p.body, `<noscript><p id="proof-by-hand">`, "</noscript>"), `<a href="https://github.com/omadata/omadata/blob/main/docs/witnessing.md#6-checking-by-hand">`) {
			t.Errorf("%s: the check by hand links no public docs: %s", lang, between(p.body, "<noscript>", "</noscript>"))
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", lang, csp)
		}
	}
	if p := c.get("/en/usage"); !strings.Contains(p.body, "cosigned by Espoo and Turku") || strings.Contains(p.body, "witness-failed") {
		t.Errorf("who used my data names no cosigners, or a check failed: %s", between(p.body, "<main", "</main>"))
	}

	// A newer entry: in the latest checkpoint, not in the witnessed one.
	e.decide(t, matti.ID)
	e.integrate(t)
	proofs = c.usageProofs("en")
	p = c.get(proofs[0])
	if !strings.Contains(p.body, "The proof checks out") || !strings.Contains(p.body, "Waiting for witnesses") {
		t.Fatalf("an entry newer than the witnessed checkpoint: %s", between(p.body, "<main", "</main>"))
	}
	if p := c.get("/en/usage"); !strings.Contains(p.body, `class="waiting-witnesses"`) {
		t.Errorf("who used my data: the newest entry does not wait for witnesses")
	}
	// The older one is still checked against the witnessed checkpoint.
	p = c.get(proofs[len(proofs)-1])
	if !strings.Contains(p.body, "cosigned by Espoo and Turku") {
		t.Errorf("the older entry: %s", between(p.body, "<main", "</main>"))
	}
}

// TestProofCSPNetwork: in a network the proof page's CSP lets its script
// connect to the operator itself, the trust anchor's origin and the
// origins of the members among the witnesses, and nowhere else: not a
// whole scheme, not an outside witness (no entity ID), not an entity ID
// that is no plain origin. Outside a network, to the operator only.
func TestProofCSPNetwork(t *testing.T) {
	for _, network := range []bool{true, false} {
		e := newProviderEnv(t, time.Time{}, nil, nil, func(e *env, o *portal.Options) {
			logKey := storetest.LogVerifierKey(t, e.store)
			ws := staticWitnesses{newWitness(t, "espoo.example/witness", espoo, logKey), newWitness(t, "turku.example/witness", turku, logKey),
				newWitness(t, "outside.example/witness", omadata.Text{"en": "Outside"}, logKey), newWitness(t, "odd.example/witness", omadata.Text{"en": "Odd"}, logKey)}
			ws[0].OperatorID, ws[1].OperatorID, ws[3].OperatorID = "https://espoo.example", "https://Turku.example:8443/city/", "https://odd.example;x"
			o.Witnessed = &witness.Own{Log: e.store, Store: e.store, Source: ws, LogKey: logKey, Quorum: -1}
			if network {
				o.TrustAnchor = "https://anchor.example/"
			}
			col := &witness.Collector{Log: e.store, Store: e.store, Witnesses: ws, Client: &witness.Client{HTTP: http.DefaultClient}, Timeout: 10 * time.Second}
			e.collect = func(t *testing.T) {
				if err := col.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		})
		c, proofs := mattisProofs(t, e, true)
		p := c.get(proofs[0])
		want := "connect-src 'self';"
		if network {
			want = "connect-src 'self' https://anchor.example https://espoo.example https://turku.example:8443;"
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, want) || !strings.Contains(p.body, `id="proof-data"`) {
			t.Errorf("network %v: CSP %q, want %q", network, csp, want)
		}
	}
}

// TestProofNotWitnessed: an operator without witnesses (quorum none) says
// so on the proof page and on "who used my data".
func TestProofNotWitnessed(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, nil, withWitnesses(t, 0, nil))
	c, proofs := mattisProofs(t, e, false)
	p := c.get(proofs[0])
	if !strings.Contains(p.body, "The proof checks out") || !strings.Contains(p.body, "Not witnessed: the operator has no witnesses") {
		t.Fatalf("proof page: %s", between(p.body, "<main", "</main>"))
	}
	if p := c.get("/en/usage"); !strings.Contains(p.body, "The operator has no witnesses") || strings.Contains(p.body, "waiting-witnesses") {
		t.Errorf("who used my data: %s", between(p.body, "<main", "</main>"))
	}
}

// TestProofWitnessesNotRequired: an operator with witnesses but the
// quorum off (OMADATA_WITNESS_QUORUM=0, the policy's "quorum none") does
// not say it has no witnesses: it says it does not require them, in each
// language, and no entry waits for witnesses.
func TestProofWitnessesNotRequired(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, nil, withWitnesses(t, 0, nil, espoo, turku))
	c, proofs := mattisProofs(t, e, true)
	for lang, want := range map[string][2]string{
		"fi": {"Todistajia ei vaadita: operaattorin tarkistuspisteiltä ei edellytetä todistajien vasta-allekirjoituksia", "Operaattori ei vaadi todistajien vasta-allekirjoituksia"},
		"sv": {"Inte bevittnad: operatören kräver inga kontrasignaturer av vittnen", "Operatören kräver inga kontrasignaturer av vittnen"},
		"en": {"Not witnessed: the operator does not require witnesses", "The operator does not require witnesses"},
	} {
		p := c.get(strings.Replace(proofs[0], "/en/", "/"+lang+"/", 1))
		if body := htmlUnescape(p.body); !strings.Contains(body, want[0]) || strings.Contains(body, "Not witnessed: the operator has no witnesses") {
			t.Errorf("%s: proof page: want %q in %s", lang, want[0], between(p.body, "<main", "</main>"))
		}
		u := c.get("/" + lang + "/usage")
		if body := htmlUnescape(u.body); !strings.Contains(body, want[1]) || strings.Contains(body, "waiting-witnesses") {
			t.Errorf("%s: who used my data: want %q in %s", lang, want[1], between(u.body, "<main", "</main>"))
		}
	}
}

// TestProofNetworkWithoutWitnesses: a network operator that knows no
// witness yet (started while its trust anchor was unreachable) has no
// quorum none: its entries wait for witnesses, the pages never say it
// has none, and the archive's entries all wait (docs/witnessing.md §5).
func TestProofNetworkWithoutWitnesses(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, nil, func(e *env, o *portal.Options) {
		withWitnesses(t, -1, nil)(e, o)
		o.Witnessed.(*witness.Own).Network = true
	})
	c, proofs := mattisProofs(t, e, false)
	p := c.get(proofs[0])
	if !strings.Contains(p.body, "The proof checks out") || !strings.Contains(p.body, "Waiting for witnesses") || strings.Contains(p.body, "has no witnesses") {
		t.Fatalf("proof page: %s", between(p.body, "<main", "</main>"))
	}
	if p := c.get("/en/usage"); !strings.Contains(p.body, `class="waiting-witnesses"`) || strings.Contains(p.body, "has no witnesses") {
		t.Errorf("who used my data: %s", between(p.body, "<main", "</main>"))
	}
	var w archive.Witnessed
	if err := json.Unmarshal(unzip(t, c.get("/en/my-data/archive").body)[archive.WitnessedPath], &w); err != nil {
		t.Fatalf("%s: %v", archive.WitnessedPath, err)
	}
	if w.Policy != "" || w.Checkpoint != "" || w.Quorum != 0 || len(w.Proofs) != 0 || len(w.Waiting) == 0 {
		t.Errorf("the archive: %+v, want no policy, every entry waiting", w)
	}
}

// TestArchiveWitnessed: the resident's archive carries the witnessed
// checkpoint with its cosignatures, the policy and each entry's inclusion
// proof at its size, enough to check offline with the log key alone that
// the entries are in a checkpoint Espoo and Turku cosigned; an entry
// newer than it is listed as waiting.
func TestArchiveWitnessed(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, nil, withWitnesses(t, -1, nil, espoo, turku))
	c := e.client(t)
	c.login("en", "matti")
	c.give("en", e.recommendations(t))
	matti := e.resident(t, mattiCode)
	e.decide(t, matti.ID)
	e.integrate(t)
	e.collect(t)
	e.decide(t, matti.ID)
	e.integrate(t)

	files := unzip(t, c.get("/en/my-data/archive").body)
	var w archive.Witnessed
	if err := json.Unmarshal(files[archive.WitnessedPath], &w); err != nil {
		t.Fatalf("%s: %v", archive.WitnessedPath, err)
	}
	var log struct {
		Entries []*omadata.LogEvent `json:"entries"`
	}
	if err := json.Unmarshal(files["operator/log.json"], &log); err != nil {
		t.Fatal(err)
	}
	// Offline, with the log key only.
	p, err := witness.ParsePolicy([]byte(w.Policy))
	if err != nil {
		t.Fatal(err)
	}
	p.Logs = []witness.PolicyLog{{VerifierKey: storetest.LogVerifierKey(t, e.store)}}
	v, err := p.Verify([]byte(w.Checkpoint))
	if err != nil || !v.Met || len(v.Cosigners) != 2 || v.Checkpoint.Size != w.Size {
		t.Fatalf("the archive's checkpoint does not meet its policy: %+v, %v", v, err)
	}
	leaves := map[int64][]byte{}
	for _, le := range log.Entries {
		if le.Index != nil {
			leaves[*le.Index], _ = base64.StdEncoding.DecodeString(le.LeafData)
		}
	}
	if len(w.Proofs) == 0 || len(w.Waiting) == 0 {
		t.Fatalf("got %d proofs and %d waiting, want both", len(w.Proofs), len(w.Waiting))
	}
	for _, ip := range w.Proofs {
		var proof tlog.RecordProof
		for _, s := range ip.Hashes {
			h, err := tlog.ParseHash(s)
			if err != nil {
				t.Fatal(err)
			}
			proof = append(proof, h)
		}
		if ip.Size != w.Size || leaves[ip.Index] == nil {
			t.Fatalf("proof of %d at %d, want an entry of the archive at %d", ip.Index, ip.Size, w.Size)
		}
		if err := tlog.CheckRecord(proof, ip.Size, v.Checkpoint.Root, ip.Index, tlog.RecordHash(leaves[ip.Index])); err != nil {
			t.Errorf("entry %d: %v", ip.Index, err)
		}
	}
	for _, i := range w.Waiting {
		if i < w.Size || leaves[i] == nil {
			t.Errorf("entry %d waits, but the witnessed size is %d", i, w.Size)
		}
	}
}

// TestProofWitnessedFails: a portal whose log key is not the log's (a
// checkpoint it cannot trust) says the check failed, on the proof page and
// on each entry of "who used my data" the witnesses vouch for.
func TestProofWitnessedFails(t *testing.T) {
	other := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "other.db"))
	e := newProviderEnv(t, time.Time{}, nil, nil, withWitnesses(t, -1, nil, espoo, turku), func(_ *env, o *portal.Options) {
		o.LogVerifierKey = storetest.LogVerifierKey(t, other)
	})
	c, proofs := mattisProofs(t, e, true)
	p := c.get(proofs[0])
	if !strings.Contains(htmlUnescape(p.body), "The checkpoint's signature does not match the operator's key.") || strings.Contains(p.body, "The proof checks out") {
		t.Fatalf("proof page: %s", between(p.body, "<main", "</main>"))
	}
	if p := c.get("/en/usage"); !strings.Contains(p.body, "The check against the witnessed checkpoint failed.") {
		t.Errorf("who used my data: %s", between(p.body, "<main", "</main>"))
	}
}
