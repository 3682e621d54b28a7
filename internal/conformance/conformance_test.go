// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/conformance/conformancetest"
)

// newTestChecker returns a checker of peer admitted at anchor, its entity
// configuration served.
func newTestChecker(t *testing.T, anchor *conformancetest.Anchor, peer string) *Checker {
	t.Helper()
	var c *Checker
	srv := startServer(t, func() *Checker { return c })
	key := conformancetest.NewKey(t)
	c, err := New(Config{Peer: peer, Entity: srv, Key: key, Anchor: anchor.ID, AnchorJWKS: anchor.JWKS(), Rulebook: anchor.Rulebook})
	if err != nil {
		t.Fatal(err)
	}
	anchor.Admit(srv, conformancetest.PublicSet(key))
	if err := c.AwaitAdmission(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestMember(t *testing.T, anchor *conformancetest.Anchor, broken string) *conformancetest.Member {
	m := conformancetest.NewMember(t, anchor.ID, anchor.JWKS(), broken)
	anchor.Admit(m.ID, conformancetest.PublicSet(m.Key))
	return m
}

func failed(results []Result) []string {
	var out []string
	for _, r := range results {
		if r.Status == Fail {
			out = append(out, r.Check)
		}
	}
	return out
}

func logResults(t *testing.T, results []Result) {
	t.Helper()
	for _, r := range results {
		t.Logf("%-38s %-5s %s", r.Check, r.Status, r.Reason)
	}
}

// TestCorrectPeerPasses runs every check against a member that follows
// docs/network.md, through Run with the checker serving its own entity
// configuration on a listener: each check passes, none is skipped.
func TestCorrectPeerPasses(t *testing.T) {
	anchor := conformancetest.NewAnchor(t)
	peer := newTestMember(t, anchor, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	key := conformancetest.NewKey(t)
	entity := "http://" + addr
	anchor.Admit(entity, conformancetest.PublicSet(key))
	results, err := Run(context.Background(), Config{Peer: peer.ID, Entity: entity, Key: key,
		Anchor: anchor.ID, AnchorJWKS: anchor.JWKS(), Rulebook: 1, Listen: addr, AdmissionWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	logResults(t, results)
	if len(results) != len(checks) {
		t.Fatalf("%d results, want %d", len(results), len(checks))
	}
	for _, r := range results {
		if r.Status != Pass {
			t.Errorf("%s: %s %s", r.Check, r.Status, r.Reason)
		}
	}
	if Failed(results) {
		t.Error("Failed reports a failure")
	}
}

// TestBrokenPeerFails runs the checks against members that each get one
// thing of docs/network.md wrong (conformancetest.Variants): the check of
// that thing fails, and no other check fails but those that rest on the
// same thing.
func TestBrokenPeerFails(t *testing.T) {
	// Checks that rest on the same thing as the variant's.
	also := map[string][]string{
		"header":          {"trust-chain"}, // §2.4 step 1: typ
		"claims":          {"trust-chain"}, // §2.4 step 4: lifetime
		"authority-hints": {"trust-chain"}, // §2.4 step 3
		"metadata":        {"trust-chain"}, // §2.4 step 5: complete after policy
		"witness-key":     {"trust-chain"}, // §2.4 step 7: the witness key checked
		"log-origin":      {"trust-chain"}, // §2.4 step 7: names bound to the entity ID
		"witness-name":    {"trust-chain"}, // §2.4 step 7: names bound to the entity ID
	}
	anchor := conformancetest.NewAnchor(t)
	for broken, check := range conformancetest.Variants {
		t.Run(broken, func(t *testing.T) {
			peer := newTestMember(t, anchor, broken)
			results := newTestChecker(t, anchor, peer.ID).Check(context.Background())
			want := append([]string{check}, also[broken]...)
			got := failed(results)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				logResults(t, results)
				t.Errorf("failed checks %q, want %q", got, want)
			}
		})
	}
	// Every check is some variant's: none of them can pass a peer that
	// gets its thing wrong.
	covered := map[string]bool{}
	for _, check := range conformancetest.Variants {
		covered[check] = true
	}
	for _, ch := range checks {
		if !covered[ch.name] {
			t.Errorf("no broken member shows that %s can fail", ch.name)
		}
	}
}

// TestBrokenProblemDocument: a member that refuses with the right status
// but a problem document without the documented reason fails every
// refusal check.
func TestBrokenProblemDocument(t *testing.T) {
	anchor := conformancetest.NewAnchor(t)
	peer := newTestMember(t, anchor, "problem-reason")
	results := newTestChecker(t, anchor, peer.ID).Check(context.Background())
	var want []string
	for _, ch := range checks {
		if strings.HasPrefix(ch.name, "call/") || ch.name == "decisions/unknown-resident" || strings.HasPrefix(ch.name, "limits/") {
			want = append(want, ch.name)
		}
	}
	if got := failed(results); !slices.Equal(got, want) {
		logResults(t, results)
		t.Errorf("failed checks %q, want %q", got, want)
	}
}

// TestNotAdmitted: a checker the anchor never admitted does not run, and
// says so.
func TestNotAdmitted(t *testing.T) {
	anchor := conformancetest.NewAnchor(t)
	peer := newTestMember(t, anchor, "")
	_, err := Run(context.Background(), Config{Peer: peer.ID, Entity: "http://127.0.0.1:1", Key: conformancetest.NewKey(t),
		Anchor: anchor.ID, AnchorJWKS: anchor.JWKS()})
	if err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Fatalf("Run: %v, want not a member", err)
	}
}

// TestTrustMarkEndpointAdvertised: the checker fetches its trust mark
// where the anchor's configuration says (federation_trust_mark_endpoint,
// docs/network.md §2.3), not at a guessed {anchor}/trust-mark.
func TestTrustMarkEndpointAdvertised(t *testing.T) {
	anchor := conformancetest.NewAnchor(t)
	anchor.TrustMarkPath = "/marks/issue"
	c := newTestChecker(t, anchor, "http://127.0.0.1:1")
	c.mu.Lock()
	mark := c.trustMark
	c.mu.Unlock()
	if mark == "" {
		t.Fatal("no trust mark after admission")
	}
}

// TestConfigRefused: a config without what the checker needs is refused,
// naming the field.
func TestConfigRefused(t *testing.T) {
	key := conformancetest.NewKey(t)
	pub := key.Public()
	good := Config{Peer: "https://a.example", Entity: "https://b.example", Key: key,
		Anchor: "https://anchor.example", AnchorJWKS: &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}}}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for field, change := range map[string]func(*Config){
		"peer":        func(c *Config) { c.Peer = "http://localhost:8080" }, // http only on 127.0.0.1 or [::1]
		"entity":      func(c *Config) { c.Entity = "https://b.example/" },
		"anchor":      func(c *Config) { c.Anchor = "" },
		"key":         func(c *Config) { c.Key = &pub },
		"anchor_jwks": func(c *Config) { c.AnchorJWKS = nil },
	} {
		c := good
		change(&c)
		if _, err := New(c); omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != field {
			t.Errorf("%s: %v, want invalid naming %s", field, err, field)
		}
	}
}

// startServer serves the checker that get returns once it exists, and
// returns the server's URL.
func startServer(t *testing.T, get func() *Checker) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { get().ServeHTTP(w, r) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
