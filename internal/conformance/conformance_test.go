// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// newTestChecker returns a checker admitted at anchor, its entity
// configuration served.
func newTestChecker(t *testing.T, anchor *testAnchor, peer string) *Checker {
	t.Helper()
	srv, lh := startServer(t)
	key := mustKey(t)
	c, err := New(Config{Peer: peer, Entity: srv.URL, Key: key, Anchor: anchor.id, AnchorJWKS: anchor.jwks(), Rulebook: anchor.rulebook})
	if err != nil {
		t.Fatal(err)
	}
	lh.h = c
	anchor.admit(srv.URL, publicSet(key))
	if err := c.AwaitAdmission(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	return c
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
	anchor := newTestAnchor(t)
	peer := newTestPeer(t, anchor, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	key := mustKey(t)
	entity := "http://" + addr
	anchor.admit(entity, publicSet(key))
	results, err := Run(context.Background(), Config{Peer: peer.id, Entity: entity, Key: key,
		Anchor: anchor.id, AnchorJWKS: anchor.jwks(), Rulebook: 1, Listen: addr, AdmissionWait: 5 * time.Second})
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

// TestBrokenPeerFails runs the checks against peers that each get one
// thing of docs/network.md wrong: the check of that thing fails, and no
// other check fails but those that rest on the same thing.
func TestBrokenPeerFails(t *testing.T) {
	anchor := newTestAnchor(t)
	for _, tc := range []struct {
		broken string // the test peer's variant
		check  string // the check that must fail
		also   []string
	}{
		{"media-type", "entity-configuration/media-type", nil},
		{"header", "entity-configuration/header", []string{"trust-chain"}},
		{"claims", "entity-configuration/claims", []string{"trust-chain"}},
		{"keys", "entity-configuration/keys", nil},
		{"authority-hints", "entity-configuration/authority-hints", []string{"trust-chain"}},
		{"metadata", "entity-configuration/metadata", []string{"trust-chain"}},
		{"trust-chain", "trust-chain", nil},
		{"trust-mark", "trust-mark", nil},
		{"unsigned", "call/unsigned", nil},
		{"wrong-tag", "call/wrong-tag", nil},
		{"wrong-audience", "call/wrong-audience", nil},
		{"expired", "call/expired", nil},
		{"changed-body", "call/changed-body", nil},
		{"replayed-nonce", "call/replayed-nonce", nil},
		{"unknown-kid", "call/unknown-kid", nil},
		{"non-member", "call/non-member", nil},
		{"answer-nonce", "answer/signed", nil},
		{"answer-typ", "answer/signed", nil},
		{"catalogue-content", "catalogue/content", nil},
		{"etag", "catalogue/etag", nil},
		{"unknown-resident", "decisions/unknown-resident", nil},
		{"body-size", "limits/body-size", nil},
	} {
		t.Run(tc.broken, func(t *testing.T) {
			peer := newTestPeer(t, anchor, tc.broken)
			results := newTestChecker(t, anchor, peer.id).Check(context.Background())
			want := append([]string{tc.check}, tc.also...)
			got := failed(results)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				logResults(t, results)
				t.Errorf("failed checks %q, want %q", got, want)
			}
		})
	}
}

// TestBrokenProblemDocument: a peer that refuses with the right status but
// a problem document whose reason is not the documented one fails every
// refusal check.
func TestBrokenProblemDocument(t *testing.T) {
	anchor := newTestAnchor(t)
	peer := newTestPeer(t, anchor, "problem-type")
	results := newTestChecker(t, anchor, peer.id).Check(context.Background())
	var want []string
	for _, ch := range checks {
		if strings.HasPrefix(ch.name, "call/") || ch.name == "decisions/unknown-resident" || ch.name == "limits/body-size" {
			want = append(want, ch.name)
		}
	}
	if got := failed(results); !slices.Equal(got, want) {
		logResults(t, results)
		t.Errorf("failed checks %q, want %q", got, want)
	}
}

// TestNotAdmitted: a checker the anchor never admitted cannot run, and
// says so.
func TestNotAdmitted(t *testing.T) {
	anchor := newTestAnchor(t)
	peer := newTestPeer(t, anchor, "")
	_, err := Run(context.Background(), Config{Peer: peer.id, Entity: "http://127.0.0.1:1", Key: mustKey(t),
		Anchor: anchor.id, AnchorJWKS: anchor.jwks()})
	if err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Fatalf("Run: %v, want not a member", err)
	}
}

// TestConfigRefused: a config without what the checker needs is refused,
// naming the field.
func TestConfigRefused(t *testing.T) {
	key := mustKey(t)
	pub := key.Public()
	good := Config{Peer: "https://a.example", Entity: "https://b.example", Key: key,
		Anchor: "https://anchor.example", AnchorJWKS: &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}}}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for field, change := range map[string]func(*Config){
		"peer":        func(c *Config) { c.Peer = "ftp://a.example" },
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
