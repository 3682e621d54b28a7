// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/anchor"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/portal"
	"github.com/omadata/omadata/internal/web/webui/browsertest"
	"github.com/omadata/omadata/internal/witness"
)

// TestBrowserProofCheck: in real headless Chromium, /static/proofcheck.js
// checks a real proof of an entry in a checkpoint cosigned by two real
// witnesses with Web Crypto (inclusion proof, the log's signature, each
// cosignature, keys from the operator itself: no network) and agrees with
// the server; the same page served with one hash of the proof changed
// (the test server's seam) makes the browser's check fail and say that it
// disagrees with the server. Without JavaScript the page says how to
// check by hand. The page passes axe-core at phone and desktop widths in
// every language.
func TestBrowserProofCheck(t *testing.T) {
	ctx, axe := browsertest.New(t)
	var tamper atomic.Bool
	e := newProviderEnv(t, time.Time{}, nil, nil, withWitnesses(t, -1, tamper.Load, espoo, turku))
	c := e.client(t)
	c.login("en", "matti")
	c.give("en", e.recommendations(t))
	matti := e.resident(t, mattiCode)
	e.decide(t, matti.ID)
	e.decide(t, matti.ID)
	e.integrate(t)
	e.collect(t)

	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/"), chromedp.Click(chromedp.CSS(`header a.button`)))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	browsertest.WaitLocation(t, ctx, "/en/consents")
	proofs := c.usageProofs("en")
	if len(proofs) == 0 {
		t.Fatal("no proof link")
	}
	proof := e.url + proofs[0]

	// result waits for the script's verdict on the page at url.
	result := func(t *testing.T, url string) (res, agrees string) {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.Navigate(url))
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			res = browsertest.Eval[string](t, ctx, `document.getElementById("browser-check").getAttribute("data-result") || ""`)
			if res != "" {
				break
			}
		}
		agrees = browsertest.Eval[string](t, ctx, `document.getElementById("browser-check").getAttribute("data-agrees") || ""`)
		return res, agrees
	}

	t.Run("real proof", func(t *testing.T) {
		res, agrees := result(t, proof)
		if res != "ok" || agrees != "true" {
			t.Fatalf("the browser's check: %q, agrees %q: %s", res, agrees, browsertest.Text(t, ctx, "#browser-check"))
		}
		if s := browsertest.Text(t, ctx, "#browser-witnesses"); !strings.Contains(s, "espoo.example/witness") || !strings.Contains(s, "turku.example/witness") {
			t.Errorf("witnesses the browser checked: %q", s)
		}
		if s := browsertest.Text(t, ctx, "#browser-keys"); !strings.Contains(s, "The keys come from the operator itself") {
			t.Errorf("where the keys come from: %q", s)
		}
		if s := browsertest.Text(t, ctx, "#browser-agreement"); s != "Your browser's result agrees with the server's." {
			t.Errorf("agreement: %q", s)
		}
	})
	t.Run("one hash changed", func(t *testing.T) {
		tamper.Store(true)
		defer tamper.Store(false)
		res, agrees := result(t, proof)
		if res != "failed" || agrees != "false" {
			t.Fatalf("the browser's check of a changed proof: %q, agrees %q", res, agrees)
		}
		if s := browsertest.Text(t, ctx, "#browser-result"); !strings.HasPrefix(s, "Your browser's check failed:") || !strings.Contains(s, "inclusion proof") {
			t.Errorf("the failure: %q", s)
		}
		if s := browsertest.Text(t, ctx, "#browser-agreement"); !strings.Contains(s, "differs from the server's") {
			t.Errorf("agreement: %q", s)
		}
	})
	t.Run("without JavaScript", func(t *testing.T) {
		scripts(t, ctx, false)
		defer scripts(t, ctx, true)
		browsertest.Run(t, ctx, chromedp.Navigate(proof))
		if s := browsertest.Text(t, ctx, "#proof-by-hand"); !strings.Contains(s, "by hand") {
			t.Errorf("no way by hand: %q", s)
		}
		if hidden := browsertest.Eval[bool](t, ctx, `document.getElementById("browser-check").hidden`); !hidden {
			t.Errorf("the browser check shows without JavaScript")
		}
	})
	for _, lang := range []string{"fi", "sv", "en"} {
		browsertest.CheckReflow(t, ctx, axe, strings.Replace(proof, "/en/", "/"+lang+"/", 1), lang+" proof")
	}
}

// cors lets a browser read the answers of h from any origin, as the
// anchor's and the members' public federation endpoints do for the proof
// page's check (docs/witnessing.md §5).
func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}

// newMember runs a member of the network that witnesses the env's log:
// one test server with its entity configuration (witness_endpoint and
// witness_verifier_key in its omadata_operator metadata) and its witness
// (witness.Handler over a store of its own) with the witness key key (nil:
// a new one); the anchor admits it.
func newMember(t *testing.T, a *anchor.Anchor, anchorURL string, name omadata.Text, logKey string, key ed25519.PrivateKey) (omadata.WitnessRef, ed25519.PrivateKey) {
	t.Helper()
	mux := http.NewServeMux()
	hs := httptest.NewServer(cors(mux))
	t.Cleanup(hs.Close)
	st := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "member.db"))
	if key == nil {
		_, key, _ = ed25519.GenerateKey(rand.Reader)
	}
	c, err := witness.NewCosigner(omadata.WitnessName(hs.URL), key)
	if err != nil {
		t.Fatal(err)
	}
	origin, _, _ := strings.Cut(logKey, "+") // a signed-note key is named by its log's origin
	if err := st.PutWitnessedLog(storetest.Admin(), &omadata.WitnessedLog{Origin: origin, VerifierKeys: []string{logKey},
		Source: omadata.WitnessLogAdmin, Active: true, Reason: "a peer of the test"}); err != nil {
		t.Fatal(err)
	}
	mux.Handle("POST /witness/v1/add-checkpoint", &witness.Handler{State: st, Cosigner: c})
	// The member's own log, of an origin of its own.
	_, memberLogKey, err := note.GenerateKey(rand.Reader, omadata.LogOrigin(hs.URL))
	if err != nil {
		t.Fatal(err)
	}
	md := omadata.OperatorMetadata{OperatorID: hs.URL, Name: name, BaseURL: hs.URL, NetworkEndpoint: hs.URL + "/network/v1",
		LogEndpoint: hs.URL + "/api/v1/public/log", LogOrigin: omadata.LogOrigin(hs.URL), LogVerifierKey: memberLogKey,
		WitnessEndpoint: hs.URL + "/witness/v1", WitnessVerifierKey: c.VerifierKey()}
	fk, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET "+federation.WellKnownPath, configuration(md, anchorURL, fk))
	if _, err := a.AdmitNamed(context.Background(), hs.URL, name, "a member of the test", "admin:test"); err != nil {
		t.Fatal(err)
	}
	return omadata.WitnessRef{Name: c.Name(), VerifierKey: c.VerifierKey(), URL: md.WitnessEndpoint, Label: name, OperatorID: hs.URL}, key
}

// configuration serves an operator's entity configuration, signed with
// its federation key k (network.md §2.1).
func configuration(md omadata.OperatorMetadata, anchorURL string, k federation.Key) http.Handler {
	return federation.Handler(func(ctx context.Context) (string, error) {
		return federation.EntityConfiguration(&federation.Configuration{Metadata: md, OrganizationName: md.Name.In("fi"), AnchorID: anchorURL,
			Keys: []federation.Key{k}}, k, time.Now())
	})
}

// TestBrowserProofCheckNetwork: in a network (a real trust anchor, the
// operator and two members Espoo and Turku, each a real witness of the
// operator's log), /static/proofcheck.js takes the keys from the trust
// chain, not from the operator: it fetches the anchor's entity
// configuration from the anchor named in the operator's authority_hints,
// the anchor's statement about each member and each member's entity
// configuration, verifies each up to the anchor key, checks the proof,
// the log's signature and both cosignatures with the keys from the chain,
// names the cosigners as the chain does (the members' names in the page's
// language) and shows the anchor key's thumbprint. A third member,
// Vantaa, publishes Espoo's public key under its own witness name: its
// copy of Espoo's cosignature is no second witness. The page's data is
// not taken for the quorum (the test server's seam changes it as a
// dishonest operator would): a page that claims quorum 0 with no
// cosignature, or that counts Espoo twice (as itself and as Vantaa)
// toward a quorum of 2, fails the browser's check.
func TestBrowserProofCheckNetwork(t *testing.T) {
	ctx, _ := browsertest.New(t)
	var ah http.Handler
	as := httptest.NewServer(cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ah.ServeHTTP(w, r) })))
	t.Cleanup(as.Close)
	db, err := anchor.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "anchor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ak, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	a := &anchor.Anchor{ID: as.URL, Name: "Test network", Rulebook: 1, DB: db, Keys: []federation.Key{ak}}
	ah = a.Handler()

	ownKey, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	var edit atomic.Pointer[func(d map[string]any)]
	var ws staticWitnesses
	e := newNetworkEnv(t, func(e *env, o *portal.Options) {
		logKey := storetest.LogVerifierKey(t, e.store)
		espooRef, espooKey := newMember(t, a, as.URL, espoo, logKey, nil)
		turkuRef, _ := newMember(t, a, as.URL, turku, logKey, nil)
		vantaaRef, _ := newMember(t, a, as.URL, vantaa, logKey, espooKey)
		ws = staticWitnesses{espooRef, turkuRef, vantaaRef}
		// All but one of three: 2.
		own := &witness.Own{Log: e.store, Store: e.store, Source: ws, LogKey: logKey, Quorum: -1}
		o.Witnessed, o.TrustAnchor = own, as.URL
		col := &witness.Collector{Log: e.store, Store: e.store, Witnesses: ws, Client: &witness.Client{HTTP: http.DefaultClient}, Timeout: 10 * time.Second}
		e.collect = func(t *testing.T) {
			if err := col.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		// The operator's own entity configuration, built at each request
		// (its URL is known once the server runs).
		e.pages = append(e.pages, web.Page{Pattern: "GET " + federation.WellKnownPath, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			md := omadata.OperatorMetadata{OperatorID: e.url, Name: omadata.Text{"fi": "Testikaupunki", "en": "Test City"}, BaseURL: e.url,
				NetworkEndpoint: e.url + "/network/v1", LogEndpoint: e.url + "/api/v1/public/log", LogOrigin: e.logOrigin, LogVerifierKey: logKey}
			configuration(md, as.URL, ownKey).ServeHTTP(w, r)
		})})
		e.wrap = func(h http.Handler) http.Handler {
			return rewriteProof(t, h, func() func(d map[string]any) {
				if f := edit.Load(); f != nil {
					return *f
				}
				return nil
			})
		}
	})
	if _, err := a.AdmitNamed(context.Background(), e.url, omadata.Text{"fi": "Testikaupunki", "en": "Test City"}, "the operator of the test", "admin:test"); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("en", "matti")
	c.give("en", e.recommendations(t))
	matti := e.resident(t, mattiCode)
	e.decide(t, matti.ID)
	e.decide(t, matti.ID)
	e.integrate(t)
	e.collect(t)

	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/"), chromedp.Click(chromedp.CSS(`header a.button`)))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	browsertest.WaitLocation(t, ctx, "/en/consents")
	proofs := c.usageProofs("en")
	if len(proofs) == 0 {
		t.Fatal("no proof link")
	}
	result := func(t *testing.T, url string) string {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.Navigate(url))
		var res string
		for deadline := time.Now().Add(10 * time.Second); res == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			res = browsertest.Eval[string](t, ctx, `document.getElementById("browser-check").getAttribute("data-result") || ""`)
		}
		return res
	}
	proof := e.url + proofs[0]
	if res := result(t, proof); res != "ok" {
		t.Fatalf("the browser's check in a network: %q: %s", res, browsertest.Text(t, ctx, "#browser-check"))
	}
	thumb := ak.Public().KeyID
	if s := browsertest.Text(t, ctx, "#browser-keys"); !strings.Contains(s, "trust chain") || !strings.Contains(s, thumb) {
		t.Errorf("where the keys come from: %q, want the anchor key's thumbprint %s", s, thumb)
	}
	// Named as the chain names them, each public key once: Vantaa's
	// cosignature is Espoo's key's, one witness of two names.
	if s := browsertest.Text(t, ctx, "#browser-witnesses"); !strings.Contains(s, "Turku") || strings.Contains(s, "/witness") ||
		!strings.Contains(s, "Espoo / Vantaa") && !strings.Contains(s, "Vantaa / Espoo") || strings.Count(s, ", ") != 1 {
		t.Errorf("the witnesses checked with keys of the chain: %q, want Turku and Espoo / Vantaa by name", s)
	}
	if s := browsertest.Text(t, ctx, "#browser-agreement"); s != "Your browser's result agrees with the server's." {
		t.Errorf("agreement: %q", s)
	}
	t.Run("names in the page's language", func(t *testing.T) {
		if res := result(t, strings.Replace(proof, "/en/", "/sv/", 1)); res != "ok" {
			t.Fatalf("the browser's check in Swedish: %q", res)
		}
		if s := browsertest.Text(t, ctx, "#browser-witnesses"); !strings.Contains(s, "Esbo") || !strings.Contains(s, "Åbo") || !strings.Contains(s, "Vanda") ||
			strings.Contains(s, "Espoo") {
			t.Errorf("the witnesses in Swedish: %q, want Esbo, Åbo and Vanda", s)
		}
	})

	// withoutLines drops the cosignature lines of the named witnesses
	// from the page's checkpoint and its list of cosigners.
	withoutLines := func(d map[string]any, names ...string) {
		var keep []string
		for _, l := range strings.SplitAfter(d["checkpoint"].(string), "\n") {
			drop := false
			for _, n := range names {
				drop = drop || strings.HasPrefix(l, "\u2014 "+n+" ")
			}
			if !drop {
				keep = append(keep, l)
			}
		}
		d["checkpoint"] = strings.Join(keep, "")
		var cosigners []any
		for _, c := range d["cosigners"].([]any) {
			if !slices.Contains(names, c.(string)) {
				cosigners = append(cosigners, c)
			}
		}
		d["cosigners"] = cosigners
	}
	for _, c := range []struct {
		name string
		edit func(d map[string]any)
	}{
		{"quorum 0 and no cosignature", func(d map[string]any) {
			withoutLines(d, ws[0].Name, ws[1].Name, ws[2].Name)
			d["quorum"] = 0
		}},
		{"one key counted twice", func(d map[string]any) {
			// The server counts Espoo's key once (Vantaa's name for it is
			// left out of the policy: quorum 1 of 2); a page asking for 2
			// with only that key's lines, under both names, must fail.
			if d["quorum"] != float64(1) {
				t.Errorf("the page's quorum: %v, want 1 (Espoo's key counted once)", d["quorum"])
			}
			d["quorum"] = 2
			withoutLines(d, ws[1].Name)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			edit.Store(&c.edit)
			defer edit.Store(nil)
			if res := result(t, proof); res != "failed" {
				t.Fatalf("the browser's check: %q, want failed: %s", res, browsertest.Text(t, ctx, "#browser-check"))
			}
			if s := browsertest.Text(t, ctx, "#browser-result"); !strings.Contains(s, "fewer witnesses of the trust chain") {
				t.Errorf("the failure: %q", s)
			}
		})
	}
}
