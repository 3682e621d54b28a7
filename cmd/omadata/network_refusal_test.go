// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/sqlite"
	"github.com/omadata/omadata/internal/store"
)

// member signs calls as an operator of the demo network: with its
// federation key, read from its database and unsealed with its demo
// secret key, as the operator's own process signs them.
type member struct {
	id, kid string
	key     ed25519.PrivateKey
}

func memberOf(t *testing.T, n *demoNet, op *child) *member {
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
	k, err := keys.Active(ctx, store.New(db), omadata.KeyPurposeFederation)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := keys.Signer(k, sealer)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := keys.FederationJWK(k)
	if err != nil {
		t.Fatal(err)
	}
	return &member{id: op.URL, kid: jwk.KeyID, key: priv}
}

// signed is a call m signed at now for target (the callee's URL and
// path), to be sent to addr (a base URL; the callee's own when "").
func (m *member) signed(t *testing.T, method, target, addr string, body []byte, now time.Time) *http.Request {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := network.Sign(req, body, m.id, m.kid, m.key, now); err != nil {
		t.Fatal(err)
	}
	if addr != "" {
		a, _ := url.Parse(addr)
		req.URL.Host, req.Host = a.Host, u.Host
	}
	return req
}

// send sends req with body and returns the status and the problem
// document's reason, if any.
func send(t *testing.T, req *http.Request, body []byte) (int, string) {
	t.Helper()
	r := req.Clone(context.Background())
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p struct{ Reason string }
	b, _ := io.ReadAll(res.Body)
	json.Unmarshal(b, &p)
	return res.StatusCode, p.Reason
}

// refusals returns how many refusals of reason an operator counted.
func refusals(t *testing.T, op *child, reason string) int {
	t.Helper()
	_, body := get(t, op.URL+"/metrics", "")
	var got int
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, `omadata_network_refusals_total{reason="`+reason+`"} `) {
			fmt.Sscan(strings.TrimPrefix(l, `omadata_network_refusals_total{reason="`+reason+`"} `), &got)
		}
	}
	return got
}

// loggedRefusal reports whether the operator's log has a refusal of
// reason of a call claimed to be from caller.
func loggedRefusal(op *child, reason, caller string) bool {
	// The whole log: a refusal may have scrolled out of its tail.
	all, _ := os.ReadFile(op.LogFile)
	for _, l := range strings.Split(string(all), "\n") {
		if strings.Contains(l, `"msg":"network call refused"`) && strings.Contains(l, `"reason":"`+reason+`"`) && strings.Contains(l, `"operator":"`+caller+`"`) {
			return true
		}
	}
	return false
}

// expectRefused sends a call and checks it is refused with reason, logged
// with the caller it claims, and counted.
func expectRefused(t *testing.T, callee *child, req *http.Request, body []byte, status int, reason, caller string) {
	t.Helper()
	before := refusals(t, callee, reason)
	if st, got := send(t, req, body); st != status || got != reason {
		t.Errorf("%s: got %d %q, want %d %q", reason, st, got, status, reason)
	}
	waitFor(t, 5*time.Second, reason+" logged and counted", func() bool {
		return refusals(t, callee, reason) == before+1 && loggedRefusal(callee, reason, caller)
	})
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Errorf("not within %v: %s", d, what)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testRefusals: calls Helsinki refuses, each with its reason as a problem
// document, logged and counted in its metrics.
func testRefusals(t *testing.T, bin string, n *demoNet) {
	hki, esp, tku := n.Operators[0], n.Operators[1], n.Operators[2]
	espoo := memberOf(t, n, esp)
	catalogue := hki.URL + "/network/v1/catalogue"
	decisions := hki.URL + "/network/v1/decisions"
	now := time.Now()

	// A member's own call passes, once the anchor's admission reached
	// Helsinki: the chain resolves.
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, reason := send(t, espoo.signed(t, "GET", catalogue, "", nil, time.Now()), nil)
		if st == 200 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("Espoo's signed catalogue call: got %d %q, want 200", st, reason)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Run("Expired", func(t *testing.T) {
		req := espoo.signed(t, "GET", catalogue, "", nil, now.Add(-10*time.Minute))
		expectRefused(t, hki, req, nil, 401, network.ReasonExpired, esp.URL)
	})
	t.Run("Replayed", func(t *testing.T) {
		req := espoo.signed(t, "GET", catalogue, "", nil, time.Now())
		if st, reason := send(t, req, nil); st != 200 {
			t.Fatalf("first: got %d %q", st, reason)
		}
		expectRefused(t, hki, req, nil, 401, network.ReasonReplayed, esp.URL)
	})
	t.Run("WrongAudience", func(t *testing.T) {
		// Signed for Espoo itself, sent to Helsinki.
		req := espoo.signed(t, "GET", esp.URL+"/network/v1/catalogue", hki.URL, nil, time.Now())
		expectRefused(t, hki, req, nil, 401, network.ReasonWrongAudience, esp.URL)
	})
	t.Run("ChangedBody", func(t *testing.T) {
		req := espoo.signed(t, "POST", decisions, "", []byte(`{"questions": []}`), time.Now())
		expectRefused(t, hki, req, []byte(`{"questions": [{}]}`), 401, network.ReasonDigestMismatch, esp.URL)
	})
	t.Run("ResidentOfAnotherOperator", func(t *testing.T) {
		// Turku asks Helsinki, for its own sink's processing on
		// Helsinki's source, about a resident by a pseudonym Helsinki
		// issued to Espoo.
		ppn := pseudonymIssuedTo(t, esp, hki.URL)
		e := waitEntry(t, hki, "Wellbeing indicators from residents' measurements", tku.URL)
		q, _ := json.Marshal(map[string]any{"questions": []map[string]any{{
			"sink_id": e.Sink.ID, "source_id": e.DataGroups[0].Source.ID, "pseudonym": ppn,
			"data_group_ids": []string{e.DataGroups[0].ID}, "purpose_id": e.Purpose.ID, "relay_id": omadata.NewID(omadata.PrefixRelay),
		}}})
		req := memberOf(t, n, tku).signed(t, "POST", decisions, "", q, time.Now())
		expectRefused(t, hki, req, q, 404, network.ReasonUnknownResident, tku.URL)
	})
	t.Run("NonMember", func(t *testing.T) {
		stranger := &member{id: "http://127.0.0.1:1", kid: espoo.kid, key: espoo.key}
		req := stranger.signed(t, "GET", catalogue, "", nil, time.Now())
		expectRefused(t, hki, req, nil, 403, network.ReasonNotMember, stranger.id)
	})
	t.Run("SuspendedThenRemoved", func(t *testing.T) {
		turku := memberOf(t, n, tku)
		anchor := func(verb string) {
			t.Helper()
			out, err := exec.Command(bin, "network", "anchor", verb, "--db", n.Anchor.DB, "--reason", "test", "--by", "test", tku.URL).CombinedOutput()
			if err != nil {
				t.Fatalf("anchor %s: %v\n%s", verb, err, out)
			}
		}
		anchor("suspend")
		// The anchor tells the members; Turku's next call is refused.
		waitFor(t, 10*time.Second, "Turku refused as suspended", func() bool {
			st, reason := send(t, turku.signed(t, "GET", catalogue, "", nil, time.Now()), nil)
			return st == 403 && reason == network.ReasonSuspendedMember
		})
		if !loggedRefusal(hki, network.ReasonSuspendedMember, tku.URL) || refusals(t, hki, network.ReasonSuspendedMember) < 1 {
			t.Errorf("suspended_member not logged and counted")
		}
		anchor("remove")
		waitFor(t, 10*time.Second, "Turku refused as removed", func() bool {
			st, reason := send(t, turku.signed(t, "GET", catalogue, "", nil, time.Now()), nil)
			return st == 403 && reason == network.ReasonRemovedMember
		})
		if !loggedRefusal(hki, network.ReasonRemovedMember, tku.URL) || refusals(t, hki, network.ReasonRemovedMember) < 1 {
			t.Errorf("removed_member not logged and counted")
		}
	})
	t.Run("BadChain", func(t *testing.T) { testBadChain(t, bin, n) })
	t.Run("ReplayedToSecondInstance", func(t *testing.T) {
		if !strings.HasPrefix(hki.DB, "postgres") {
			t.Skip("needs Helsinki on PostgreSQL (OMADATA_TEST_POSTGRES_DSN)")
		}
		second := startSecondInstance(t, bin, n, hki)
		req := espoo.signed(t, "GET", catalogue, "", nil, time.Now())
		if st, reason := send(t, req, nil); st != 200 {
			t.Fatalf("first, at the first instance: got %d %q", st, reason)
		}
		again := req.Clone(context.Background())
		a, _ := url.Parse(second.URL)
		again.URL.Host = a.Host
		expectRefused(t, second, again, nil, 401, network.ReasonReplayed, esp.URL)

		// A decisions call, whose nonce the decision's transaction
		// records: refused at the first instance (Espoo asks for
		// Helsinki's own sink: rolled back, its nonce recorded after),
		// then replayed at the second. (Turku, removed above, has no
		// processings shown at Helsinki any more.)
		ppn := pseudonymIssuedTo(t, esp, hki.URL)
		e := waitEntry(t, hki, "Book recommendations from your loans", "")
		q, _ := json.Marshal(map[string]any{"questions": []map[string]any{{
			"sink_id": e.Sink.ID, "source_id": e.DataGroups[0].Source.ID, "pseudonym": ppn,
			"data_group_ids": []string{e.DataGroups[0].ID}, "purpose_id": e.Purpose.ID, "relay_id": omadata.NewID(omadata.PrefixRelay),
		}}})
		dreq := espoo.signed(t, "POST", decisions, "", q, time.Now())
		expectRefused(t, hki, dreq, q, 403, network.ReasonNotYourSink, esp.URL)
		dagain := dreq.Clone(context.Background())
		dagain.URL.Host = a.Host
		expectRefused(t, second, dagain, q, 401, network.ReasonReplayed, esp.URL)
	})
}

// pseudonymIssuedTo returns a pairwise pseudonym the operator home issued
// to op, from op's SQLite database, waiting at most 30 s for the first
// (the demo's Aino consents at Helsinki to Espoo's processing).
func pseudonymIssuedTo(t *testing.T, op *child, home string) string {
	t.Helper()
	db, err := sqlite.Open("file:"+strings.TrimPrefix(op.DB, "sqlite:"), "busy_timeout(5000)", "query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ppn string
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := db.QueryRow(`SELECT pseudonym FROM peer_pseudonyms WHERE operator_id = ? LIMIT 1`, home).Scan(&ppn)
		if err == nil {
			return ppn
		} else if time.Now().After(deadline) {
			t.Fatalf("a pseudonym %s issued to %s: %v", home, op.Name, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// startSecondInstance starts a second instance of op, on its database and
// with its operator ID, on a port of its own.
func startSecondInstance(t *testing.T, bin string, n *demoNet, op *child) *child {
	t.Helper()
	port := freePorts(t, 1)
	c := &child{Name: op.Name + "-2", URL: fmt.Sprintf("http://127.0.0.1:%d", port), DB: op.DB, LogFile: filepath.Join(n.Dir, op.Name+"-2.log")}
	env := []string{
		"OMADATA_DATABASE_URL=" + op.DB, "OMADATA_LISTEN=127.0.0.1:" + fmt.Sprint(port), "OMADATA_PUBLIC_URL=" + op.URL, "OMADATA_OPERATOR_ID=" + op.URL,
		"OMADATA_DEMO=true", "OMADATA_DEMO_CITY=" + op.Name,
		"OMADATA_NETWORK_ANCHOR=" + n.Anchor.URL, "OMADATA_NETWORK_ANCHOR_JWKS=" + filepath.Join(n.Dir, "anchor.jwks.json"),
		"OMADATA_NETWORK_RULEBOOK=1",
	}
	if err := n.start(context.Background(), bin, c, env, "serve"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.cmd.Process.Signal(os.Interrupt)
		<-c.done
	})
	if _, err := n.waitGet(context.Background(), &child{Name: c.Name, URL: c.URL, LogFile: c.LogFile, done: c.done}, "/readyz"); err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeMember is a member of the network this test plays itself, so that
// its entity configuration can go bad after the anchor admitted it: signed
// with a key the anchor does not hold for it, or expired.
type fakeMember struct {
	url   string
	key   federation.Key // the one the anchor holds
	other federation.Key // another key of its own, unknown to the anchor
	mode  atomic.Value   // "good", "wrong-key" or "expired"
	mark  atomic.Value   // its trust mark, once admitted
}

func startFakeMember(t *testing.T, n *demoNet, bin string) *fakeMember {
	t.Helper()
	f := &fakeMember{}
	var err error
	if f.key, err = federation.NewKey(); err != nil {
		t.Fatal(err)
	} else if f.other, err = federation.NewKey(); err != nil {
		t.Fatal(err)
	}
	f.mode.Store("good")
	f.mark.Store("")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-federation" {
			http.NotFound(w, r)
			return
		}
		now, sign, keys := time.Now(), f.key, []federation.Key{f.key}
		switch f.mode.Load() {
		case "wrong-key":
			// A key of its own, published beside the one the anchor
			// holds, but not in the anchor's statement about it.
			sign, keys = f.other, []federation.Key{f.key, f.other}
		case "expired":
			now = now.Add(-2 * time.Hour) // exp an hour ago
		}
		c := &federation.Configuration{
			Metadata: omadata.OperatorMetadata{OperatorID: f.url, Name: omadata.Text{"fi": "Testi", "sv": "Test", "en": "Test"}, BaseURL: f.url,
				NetworkEndpoint: f.url + "/network/v1", CatalogueEndpoint: f.url + "/network/v1/catalogue", LogEndpoint: f.url + "/api/v1/public/log",
				LogOrigin: strings.TrimPrefix(f.url, "http://") + "/log"},
			OrganizationName: "Test", AnchorID: n.Anchor.URL, Keys: keys,
			// Short-lived, so that what the operators believed of it
			// while it was good expires with it (network.md §2.4).
			Lifetime: 2 * time.Second,
		}
		if m := f.mark.Load().(string); m != "" {
			c.TrustMarks = []federation.TrustMarkRef{{Type: federation.MemberTrustMarkType(n.Anchor.URL), TrustMark: m}}
		}
		jws, err := federation.EntityConfiguration(c, sign, now)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/entity-statement+jwt")
		io.WriteString(w, jws)
	}))
	// The URL is known before the server starts, so that its handlers
	// read it after it is written.
	f.url = "http://" + srv.Listener.Addr().String()
	srv.Start()
	t.Cleanup(srv.Close)
	out, err := exec.Command(bin, "network", "anchor", "admit", "--db", n.Anchor.DB, "--reason", "test", "--by", "test", f.url).CombinedOutput()
	if err != nil {
		t.Fatalf("admit the test's member: %v\n%s", err, out)
	}
	pinned, err := os.ReadFile(filepath.Join(n.Dir, "anchor.jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	anchorKeys, err := federation.ParseJWKS(pinned)
	if err != nil {
		t.Fatal(err)
	}
	anchorCfg, err := federation.FetchAnchor(context.Background(), http.DefaultClient, n.Anchor.URL, anchorKeys, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mark, err := federation.FetchTrustMark(context.Background(), http.DefaultClient, anchorCfg, f.url)
	if err != nil {
		t.Fatal(err)
	}
	f.mark.Store(mark)
	return f
}

// testBadChain: a member whose trust chain goes bad, its entity
// configuration signed with a key the anchor's statement does not list or
// expired, is refused as no member on its next call once what Helsinki
// believed of it expired, logged and counted; the same member with a good
// configuration is believed, before each.
func testBadChain(t *testing.T, bin string, n *demoNet) {
	hki, esp := n.Operators[0], n.Operators[1]
	f := startFakeMember(t, n, bin)
	m := &member{id: f.url, kid: f.key.ID, key: f.key.Private}
	// While its configuration is good, Espoo believes it: the chain, its
	// trust mark and its metadata are right.
	waitFor(t, 20*time.Second, "the test's member admitted at Espoo", func() bool {
		st, _ := send(t, m.signed(t, "GET", esp.URL+"/network/v1/catalogue", "", nil, time.Now()), nil)
		return st == 200
	})
	for i, mode := range []string{"wrong-key", "expired"} {
		t.Run(mode, func(t *testing.T) {
			// Good, Helsinki takes its calls too.
			f.mode.Store("good")
			waitFor(t, 20*time.Second, "the test's member believed at Helsinki", func() bool {
				st, _ := send(t, m.signed(t, "GET", hki.URL+"/network/v1/catalogue", "", nil, time.Now()), nil)
				return st == 200
			})
			f.mode.Store(mode)
			// What Helsinki believed of it while it was good expired with
			// its configuration: Helsinki resolves it again.
			time.Sleep(3 * time.Second)
			before := refusals(t, hki, network.ReasonNotMember)
			if st, reason := send(t, m.signed(t, "GET", hki.URL+"/network/v1/catalogue", "", nil, time.Now()), nil); st != 403 || reason != network.ReasonNotMember {
				t.Errorf("got %d %q, want 403 not_member", st, reason)
			}
			waitFor(t, 5*time.Second, "counted", func() bool { return refusals(t, hki, network.ReasonNotMember) == before+1 })
			var logged []string
			// The whole log: its last 4000 bytes (tail) may no longer hold
			// the first mode's refusal.
			all, err := os.ReadFile(hki.LogFile)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(all), "\n") {
				if strings.Contains(l, `"msg":"network call refused"`) && strings.Contains(l, `"operator":"`+f.url+`"`) {
					logged = append(logged, l)
				}
			}
			if len(logged) != i+1 || !strings.Contains(logged[i], `"reason":"not_member"`) {
				t.Errorf("logged %q, want refusal %d not_member", logged, i+1)
			}
		})
	}
}
